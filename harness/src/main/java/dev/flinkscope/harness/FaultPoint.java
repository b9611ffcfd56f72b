package dev.flinkscope.harness;

import java.io.Serializable;

/**
 * Where an operator applies the faults the control channel names for it (job, operator, this subtask):
 *   hot-udf       burnMicros of CPU per record (× ramp)
 *   slow-sink     sleepMicros of blocking per record (× ramp) — busy time here, back-pressure upstream
 *   state-growth  bytesPerRecord of keyed state appended per record, up to capBytes per subtask; cleared key by key
 *                 once the fault is off
 * plus the operator's own base cost per record (blocking, like a lookup or a write).
 */
public final class FaultPoint implements Serializable {
  private static final long serialVersionUID = 1L;
  static final long CAP_BYTES = 128L << 20;

  private final String job, operator;
  private final Control control;
  private final double baseMicros;
  private final Work work = new Work();
  private int subtask = -1;
  private long grown;
  private boolean grewEver;

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
    grewEver = true;
    return bytes;
  }

  /** True when grown state should be dropped for the current key (the fault was on and is off now). */
  public boolean shrink() { return grewEver && grown == 0; }
}
