package dev.flinkscope.harness;

import java.io.Serializable;

/**
 * Where an operator applies the faults the control channel names for it (job, operator, this subtask):
 *   hot-udf       burnMicros of CPU per record (× ramp)
 *   slow-sink     sleepMicros of blocking per record (× ramp) — busy time here, back-pressure upstream
 *   state-growth  bytesPerRecord of keyed state appended per record, up to CAP_BYTES per subtask; a processing-time
 *                 timer per key (every CHECK_MS) drops the key's ballast once the fault is off — so the heap is
 *                 freed within seconds, not whenever a rarely seen key comes back
 * plus the operator's own base cost per record (blocking, like a lookup or a write).
 */
public final class FaultPoint implements Serializable {
  private static final long serialVersionUID = 1L;
  static final long CAP_BYTES = 128L << 20;
  static final long CHECK_MS = 5000;

  private final String job, operator;
  private final Control control;
  private final double baseMicros;
  private final Work work = new Work();
  private int subtask = -1;
  private long grown;

  public FaultPoint(String job, String operator, String controlFile, double baseMicros) {
    this.job = job;
    this.operator = operator;
    this.control = new Control(controlFile);
    this.baseMicros = baseMicros;
  }

  public void open(int subtask) { this.subtask = subtask; }

  /** The base cost plus hot-udf / slow-sink when they are on for this subtask. */
  public void perRecord() {
    long now = System.currentTimeMillis();
    double pause = baseMicros;
    Control.Fault slow = control.on("slow-sink", job, operator, subtask);
    if (slow != null) pause += slow.param("sleepMicros", 2000) * slow.ramp(now);
    work.pause(pause);
    Control.Fault hot = control.on("hot-udf", job, operator, subtask);
    if (hot != null) Work.burn(hot.param("burnMicros", 1000) * hot.ramp(now));
  }

  /** Bytes of state to append for this record (0: none). */
  public int growBytes() {
    Control.Fault g = control.on("state-growth", job, operator, subtask);
    if (g == null) {
      grown = 0;
      return 0;
    }
    int bytes = (int) g.param("bytesPerRecord", 1024);
    if (grown + bytes > CAP_BYTES) return 0;
    grown += bytes;
    return bytes;
  }

  /** Is state growth on for this subtask? */
  public boolean growing() { return control.on("state-growth", job, operator, subtask) != null; }

  /** The next ballast check for a key that holds ballast at `now` (one timer per key and slot: Flink dedups). */
  public static long nextCheck(long now) { return (now / CHECK_MS + 1) * CHECK_MS; }
}
