package dev.flinkscope.harness;

import java.util.Random;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.functions.source.RichParallelSourceFunction;
import org.apache.flink.streaming.api.watermark.Watermark;

/**
 * A parallel source following the load profile (Load): every 50 ms it emits the records due since the last tick,
 * keyed by a Zipf-popular key out of `keys` (mild skew, like real customers). Back-pressure delays emission; a
 * backlog beyond 10 s of records is shed (a load generator, not a log). Event time = emission time; watermarks
 * trail it by 1 s.
 * Skew fault (control channel, kind skew, this job): with probability share × ramp a record carries the hot key — a
 * key that KeyGroupRangeAssignment sends to the fault's subtask of the keyed operators downstream.
 */
public abstract class RateSource<T> extends RichParallelSourceFunction<T> {
  private static final long serialVersionUID = 1L;
  static final int MAX_PARALLELISM = 128;

  private final String job, name, loadFile, keyPrefix;
  private final Control control;
  private final int keys, keyedParallelism;
  private final boolean skewable;
  private volatile boolean running = true;
  private transient double[] zipfCdf;
  private transient Random rng;
  private transient int subtask, parallelism;

  protected RateSource(String job, String name, String controlFile, String loadFile, String keyPrefix, int keys, int keyedParallelism, boolean skewable) {
    this.job = job;
    this.name = name;
    this.control = new Control(controlFile);
    this.loadFile = loadFile;
    this.keyPrefix = keyPrefix;
    this.keys = keys;
    this.keyedParallelism = keyedParallelism;
    this.skewable = skewable;
  }

  /** The record for `key` at `now`. */
  protected abstract T make(String key, long now, Random rng);

  @Override
  public void open(OpenContext ctx) {
    subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
    zipfCdf = new double[keys];
    double sum = 0;
    for (int k = 0; k < keys; k++) zipfCdf[k] = (sum += 1.0 / Math.pow(k + 1, 0.7));
    for (int k = 0; k < keys; k++) zipfCdf[k] /= sum;
  }

  private String randomKey() {
    int i = java.util.Arrays.binarySearch(zipfCdf, rng.nextDouble());
    return keyPrefix + (i < 0 ? -i - 1 : i);
  }

  /** The first of keyPrefix + "hot-0", "hot-1", … that lands on `target` of the keyed operators. */
  static String hotKey(String keyPrefix, int target, int keyedParallelism) {
    for (int i = 0; ; i++) {
      String k = keyPrefix + "hot-" + i;
      if (KeyGroupRangeAssignment.assignKeyToParallelOperator(k, MAX_PARALLELISM, keyedParallelism) == target) return k;
    }
  }

  @Override
  public void run(SourceContext<T> ctx) throws Exception {
    Load load = new Load(loadFile);
    rng = new Random(load.seed() * 31 + name.hashCode() * 17L + subtask);
    long last = System.currentTimeMillis(), lastWatermark = 0;
    double due = 0;
    String hot = null;
    int hotFor = -1;
    while (running) {
      long now = System.currentTimeMillis();
      double rate = load.rate(name, now, subtask) / parallelism;
      due = Math.min(due + rate * (now - last) / 1000.0, Math.max(1, rate * 10));
      last = now;
      double share = 0;
      Control.Fault skew = skewable ? control.inJob("skew", job) : null;
      if (skew != null) {
        share = skew.param("share", 0.8) * skew.ramp(now);
        if (hotFor != skew.subtask) hot = hotKey(keyPrefix, hotFor = skew.subtask, keyedParallelism);
      }
      while (due >= 1 && running) {
        String key = share > 0 && rng.nextDouble() < share ? hot : randomKey();
        T rec = make(key, now, rng);
        synchronized (ctx.getCheckpointLock()) { ctx.collectWithTimestamp(rec, now); }
        due -= 1;
      }
      if (now - lastWatermark >= 200) {
        synchronized (ctx.getCheckpointLock()) { ctx.emitWatermark(new Watermark(now - 1000)); }
        lastWatermark = now;
      }
      long sleep = 50 - (System.currentTimeMillis() - now);
      if (sleep > 0) Thread.sleep(sleep);
    }
  }

  @Override
  public void cancel() { running = false; }
}
