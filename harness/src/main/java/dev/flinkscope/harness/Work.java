package dev.flinkscope.harness;

import java.io.Serializable;
import java.util.concurrent.locks.LockSupport;

/** Per-record costs: blocking work (a lookup, a write — busy time without CPU) and CPU work (a heavy UDF). */
public final class Work implements Serializable {
  private static final long serialVersionUID = 1L;
  private long debtNanos;

  /** Blocks for `micros` on average; sub-millisecond costs accumulate so the timer's granularity does not inflate them. */
  public void pause(double micros) {
    debtNanos += (long) (micros * 1000);
    if (debtNanos < 1_000_000) return;
    long start = System.nanoTime();
    LockSupport.parkNanos(debtNanos);
    debtNanos -= System.nanoTime() - start; // oversleeping is paid back by later records
  }

  /** Spins the CPU for `micros`. */
  public static long burn(double micros) {
    long until = System.nanoTime() + (long) (micros * 1000);
    long x = until;
    while (System.nanoTime() < until) {
      for (int i = 0; i < 64; i++) x = x * 6364136223846793005L + 1442695040888963407L;
    }
    return x;
  }
}
