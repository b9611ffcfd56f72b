package dev.flinkscope.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.DiscardingSink;
import org.apache.flink.streaming.api.functions.source.RichParallelSourceFunction;

/**
 * A job whose hotspot can be switched on for one subtask (and so one TaskManager) while it runs.
 * Source (rate-limited) → "work" map (parallelism 4; subtask HOT burns CPU per record while the knob file says
 * hot=true) → "slow-sink" map that sleeps `sinkSleepMicros` per record (back-pressure upstream) → discard.
 * Knobs are read from a properties file every second: hot=true|false, burnMicros=N, sinkSleepMicros=N.
 * Usage: HotspotJob <restPort> <jobJar> <knobFile>
 */
public class HotspotJob {
  static final int HOT = 1;

  static final class Knobs {
    volatile boolean hot;
    volatile long burnMicros = 400;
    volatile long sinkSleepMicros = 0;
    private long lastRead;
    private final String file;

    Knobs(String file) { this.file = file; }

    void refresh() {
      long now = System.currentTimeMillis();
      if (now - lastRead < 1000) return;
      lastRead = now;
      try {
        Properties p = new Properties();
        p.load(Files.newBufferedReader(Path.of(file)));
        hot = Boolean.parseBoolean(p.getProperty("hot", "false"));
        burnMicros = Long.parseLong(p.getProperty("burnMicros", "400"));
        sinkSleepMicros = Long.parseLong(p.getProperty("sinkSleepMicros", "0"));
      } catch (Exception e) {
        hot = false;
      }
    }
  }

  /** ~ratePerSec records per second per subtask. */
  static final class RateSource extends RichParallelSourceFunction<Long> {
    private volatile boolean running = true;
    private final int ratePerSec;

    RateSource(int ratePerSec) { this.ratePerSec = ratePerSec; }

    @Override
    public void run(SourceContext<Long> ctx) throws Exception {
      long n = 0;
      while (running) {
        long start = System.nanoTime();
        for (int i = 0; i < ratePerSec / 10 && running; i++) {
          synchronized (ctx.getCheckpointLock()) { ctx.collect(n++); }
        }
        long sleepMs = 100 - (System.nanoTime() - start) / 1_000_000;
        if (sleepMs > 0) Thread.sleep(sleepMs);
      }
    }

    @Override
    public void cancel() { running = false; }
  }

  static final class Work extends RichMapFunction<Long, Long> {
    private final String knobFile;
    private transient Knobs knobs;

    Work(String knobFile) { this.knobFile = knobFile; }

    @Override
    public Long map(Long v) {
      if (knobs == null) knobs = new Knobs(knobFile);
      knobs.refresh();
      if (knobs.hot && getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == HOT) {
        long until = System.nanoTime() + knobs.burnMicros * 1000;
        long x = v;
        while (System.nanoTime() < until) x = x * 6364136223846793005L + 1442695040888963407L;
        return x;
      }
      return v;
    }
  }

  static final class SlowSink extends RichMapFunction<Long, Long> {
    private final String knobFile;
    private transient Knobs knobs;

    SlowSink(String knobFile) { this.knobFile = knobFile; }

    @Override
    public Long map(Long v) throws Exception {
      if (knobs == null) knobs = new Knobs(knobFile);
      knobs.refresh();
      if (knobs.hot && knobs.sinkSleepMicros > 0) Thread.sleep(0, (int) Math.min(999_999, knobs.sinkSleepMicros * 1000));
      return v;
    }
  }

  public static void main(String[] args) throws Exception {
    int restPort = Integer.parseInt(args[0]);
    String jar = args[1];
    String knobFile = args[2];
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createRemoteEnvironment("localhost", restPort, jar);
    env.setParallelism(4);
    env.addSource(new RateSource(1000)).name("source")
        .rebalance()
        .map(new Work(knobFile)).name("work")
        .map(new SlowSink(knobFile)).name("slow-sink")
        .addSink(new DiscardingSink<>()).name("discard");
    System.out.println("JOB " + env.executeAsync("flinkscope-hotspot").getJobID());
  }
}
