package dev.flinkscope.harness;

import java.io.Reader;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The control channel: a properties file the recorder rewrites (atomically) when a fault starts or ends, polled
 * every second by every subtask that can host a fault. One entry per active fault:
 *   faults=f1,f3
 *   f1.kind=hot-udf   f1.job=orders   f1.operator=order-score   f1.subtask=1
 *   f1.since=&lt;epoch ms&gt;   f1.rampMs=60000   f1.burnMicros=2500   (kind-specific parameters: share, burnMicros,
 *   sleepMicros, bytesPerRecord)
 * A subtask applies a fault only when job, operator and subtask name it; skew is applied by the job's sources.
 * An unreadable file keeps the last good state (the recorder renames a complete file into place).
 */
public final class Control implements Serializable {
  private static final long serialVersionUID = 1L;

  /** One active fault as the file states it. */
  public static final class Fault {
    public final String id, kind, job, operator;
    public final int subtask;
    public final long since, rampMs;
    private final Properties p;
    private final String prefix;

    Fault(Properties p, String id) {
      this.p = p;
      this.prefix = id + ".";
      this.id = id;
      this.kind = p.getProperty(prefix + "kind", "");
      this.job = p.getProperty(prefix + "job", "");
      this.operator = p.getProperty(prefix + "operator", "");
      this.subtask = Integer.parseInt(p.getProperty(prefix + "subtask", "-1"));
      this.since = Long.parseLong(p.getProperty(prefix + "since", "0"));
      this.rampMs = Long.parseLong(p.getProperty(prefix + "rampMs", "0"));
    }

    public double param(String name, double dflt) {
      String v = p.getProperty(prefix + name);
      return v == null ? dflt : Double.parseDouble(v);
    }

    /** 0 → 1 over rampMs after `since` (1 at once without a ramp). */
    public double ramp(long now) {
      if (rampMs <= 0) return 1.0;
      return Math.max(0.0, Math.min(1.0, (now - since) / (double) rampMs));
    }
  }

  private final String file;
  private transient long lastPoll, lastModified = -1;
  private transient List<Fault> faults;

  public Control(String file) { this.file = file; }

  /** The active faults (re-read at most once a second, and only when the file changed). */
  public List<Fault> faults() {
    long now = System.currentTimeMillis();
    if (faults == null) faults = new ArrayList<>();
    if (now - lastPoll < 1000) return faults;
    lastPoll = now;
    try {
      Path path = Path.of(file);
      long m = Files.getLastModifiedTime(path).toMillis();
      if (m == lastModified) return faults;
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(path)) { p.load(r); }
      List<Fault> next = new ArrayList<>();
      for (String id : p.getProperty("faults", "").split(",")) {
        if (!id.isBlank()) next.add(new Fault(p, id.trim()));
      }
      faults = next;
      lastModified = m;
    } catch (Exception e) {
      // keep the last good state: the file is replaced atomically, so this is a missing file at start-up
    }
    return faults;
  }

  /** The active fault of this kind on (job, operator, subtask), or null. */
  public Fault on(String kind, String job, String operator, int subtask) {
    for (Fault f : faults()) {
      if (f.kind.equals(kind) && f.job.equals(job) && f.operator.equals(operator) && f.subtask == subtask) return f;
    }
    return null;
  }

  /** The active fault of this kind anywhere in the job, or null (skew: the sources apply it). */
  public Fault inJob(String kind, String job) {
    for (Fault f : faults()) if (f.kind.equals(kind) && f.job.equals(job)) return f;
    return null;
  }
}
