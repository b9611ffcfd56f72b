package dev.flinkscope.harness;

import java.io.Reader;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The load profile of the sources: a compressed day (a whole day every dayMs) with a weekday shape — quiet night,
 * morning rise, lunch dip, evening peak; weekends at 70 % — times random bursts the recorder drew from its seed,
 * times per-second jitter. The recorder writes it once (and states it in the recording's manifest):
 *   t0=&lt;epoch ms of a midnight&gt;  dayMs=1200000  jitter=0.1  seed=7
 *   source.&lt;name&gt;.peak=600                  (records/s over all subtasks at the daily peak)
 *   source.&lt;name&gt;.bursts=&lt;startMs&gt;:&lt;durMs&gt;:&lt;factor&gt;,…   (start relative to t0)
 */
public final class Load implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long t0, dayMs, seed;
  private final double jitter;
  private final Properties p;

  public Load(String file) throws Exception {
    p = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of(file))) { p.load(r); }
    t0 = Long.parseLong(p.getProperty("t0"));
    dayMs = Long.parseLong(p.getProperty("dayMs"));
    jitter = Double.parseDouble(p.getProperty("jitter", "0.1"));
    seed = Long.parseLong(p.getProperty("seed", "1"));
  }

  public long seed() { return seed; }

  /** Records per second over all subtasks of `source` at wall time `now`. */
  public double rate(String source, long now, int subtask) {
    double peak = Double.parseDouble(p.getProperty("source." + source + ".peak", "0"));
    long t = now - t0;
    long day = Math.floorDiv(t, dayMs);
    double hour = 24.0 * Math.floorMod(t, dayMs) / dayMs;
    double weekday = Math.floorMod(day, 7) >= 5 ? 0.7 : 1.0;
    return peak * weekday * shape(hour) * burst(source, t) * noise(source, subtask, now / 1000);
  }

  /** The weekday shape over the hour of the day, in [0.3, 1]. */
  static double shape(double h) {
    double s = 0.3 + 0.5 * bump(h, 10, 2.5) + 0.3 * bump(h, 14.5, 1.8) + 0.7 * bump(h, 20, 2.2);
    return Math.min(1.0, s);
  }

  private static double bump(double h, double mu, double sigma) {
    double d = Math.abs(h - mu);
    d = Math.min(d, 24 - d); // the day wraps around
    return Math.exp(-d * d / (2 * sigma * sigma));
  }

  private transient List<double[]> parsed;
  private transient String parsedFor;

  /** The burst factor at t (ms after t0): 1 outside bursts; edges ramp over 3 s. */
  private double burst(String source, long t) {
    if (!source.equals(parsedFor)) {
      parsed = new ArrayList<>();
      for (String b : p.getProperty("source." + source + ".bursts", "").split(",")) {
        if (b.isBlank()) continue;
        String[] x = b.split(":");
        parsed.add(new double[] {Double.parseDouble(x[0]), Double.parseDouble(x[1]), Double.parseDouble(x[2])});
      }
      parsedFor = source;
    }
    double f = 1.0;
    for (double[] b : parsed) {
      if (t < b[0] || t > b[0] + b[1]) continue;
      double edge = Math.min(1.0, Math.min(t - b[0], b[0] + b[1] - t) / 3000.0);
      f = Math.max(f, 1.0 + (b[2] - 1.0) * edge);
    }
    return f;
  }

  /** Multiplicative per-second jitter, 1 ± ~jitter, fixed by (seed, source, subtask, second). */
  private double noise(String source, int subtask, long second) {
    long h = seed * 0x9E3779B97F4A7C15L ^ source.hashCode() * 0xC2B2AE3D27D4EB4FL ^ (subtask + 1) * 0x165667B19E3779F9L ^ second * 0xD6E8FEB86659FD93L;
    h ^= h >>> 33; h *= 0xFF51AFD7ED558CCDL; h ^= h >>> 33; h *= 0xC4CEB9FE1A85EC53L; h ^= h >>> 33;
    double u = (h >>> 11) * 0x1.0p-53; // [0, 1)
    return Math.max(0.2, 1.0 + jitter * 1.7 * (u - 0.5) * 2);
  }
}
