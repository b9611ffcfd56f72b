// Alerts for Alertmanager (its v2 API: POST /api/v2/alerts), so that grouping, silences, inhibition and routing are
// Alertmanager's. An incident is one alert, identified by its labels: alertname, incident, machine, type, severity,
// and job / operator when known (the graph cause's job and vertex, else the operator that moved most). Annotations
// carry the explanation, the cause and a link to the incident page.
// Alertmanager forgets an alert that is not re-sent: each post says the alert ends `ttl` later (endsAt), and open
// incidents are re-posted more often than that (refresh), as Prometheus re-sends firing alerts — so when flinkscope
// stops, its alerts end by themselves instead of firing forever. A resolved incident is posted with endsAt = its
// resolve time. Labels are an alert's identity: when they change during an incident (its type or cause became
// clearer, or it renewed: `episode`, an update), the old label set is ended in the same post.
import type { HotspotType, IncidentRecord } from '../core/incident.js';
import { AlertError, type AlertKind, type AlertOutcome, type AlertSink } from './alerts.js';

export interface AlertmanagerConfig {
  /** Alertmanager's base URL (http(s)://host:9093). */
  url: string;
  /** The dashboard's base URL: alerts link to the incident page there. */
  dashboardUrl?: string;
  /** Open incidents are re-posted this often (AlertmanagerAlerter.refresh). Default 60 s. */
  resendMs?: number;
  /** An alert not re-posted ends this long after its last post. Default 4 × resendMs (Prometheus' rule). */
  ttlMs?: number;
  /** Request timeout, ms. Default 5 000. */
  timeoutMs?: number;
}

/** One alert in Alertmanager's API format. */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/** Severity by type: back-pressure stalls a pipeline and a sustained high level is a capacity problem now; a trend,
 *  a level shift or a spike is worth a look. Routing by `type` stays possible for another policy. */
const SEVERITY: Record<HotspotType, 'critical' | 'warning'> = {
  backpressure: 'critical', 'sustained-high': 'critical', trend: 'warning', 'level-shift': 'warning', spike: 'warning',
};

const pct = (x: number): string => `${Math.round(x * 100)} %`;

/** "order-score #2 on tm-3 (busy 97 %), reached from orders-source" — the cause in one line. */
export function causeLine(inc: IncidentRecord): string | null {
  const c = inc.cause;
  if (!c) return null;
  if (!c.graph) return `${c.machine} (busy ${Math.round(c.busy)}${c.busy > 1.5 ? ' ms/s' : ''}, shares ${c.jobs.join(', ')})`;
  const g = c.graph;
  const subs = g.subtasks.slice(0, 3).map((s) => `#${s.index} on ${s.machine} (busy ${pct(s.busy)})`).join(', ');
  return `${g.job} / ${g.vertex} ${subs}${g.subtasks.length > 3 ? ', …' : ''}${g.walk === 'downstream' && g.path.length > 1 ? ` — downstream of ${g.path.slice(0, -1).join(' → ')}` : ''}`;
}

export class AlertmanagerAlerter implements AlertSink {
  readonly name = 'alertmanager';
  private readonly cfg: Required<Omit<AlertmanagerConfig, 'dashboardUrl'>> & { dashboardUrl?: string };
  /** Incident id → the label set last posted for it (JSON): to end it when the labels change. */
  private readonly posted = new Map<string, { key: string; labels: Record<string, string>; startsAt: string }>();

  constructor(cfg: AlertmanagerConfig) {
    for (const [what, u] of [['alertmanager', cfg.url], ['dashboard', cfg.dashboardUrl]] as const) {
      if (u === undefined) continue;
      let p: URL;
      try {
        p = new URL(u);
      } catch {
        throw new AlertError(`${what} url is not a valid URL: '${u}'`);
      }
      if (p.protocol !== 'http:' && p.protocol !== 'https:') throw new AlertError(`${what} url must be http(s) (got ${p.protocol})`);
    }
    const resendMs = cfg.resendMs ?? 60_000;
    this.cfg = { resendMs, ttlMs: 4 * resendMs, timeoutMs: 5_000, ...cfg };
    if (!(this.cfg.resendMs > 0) || !(this.cfg.ttlMs > this.cfg.resendMs)) throw new AlertError(`alertmanager: the ttl (${this.cfg.ttlMs} ms) must exceed the resend interval (${this.cfg.resendMs} ms) > 0`);
  }

  get resendMs(): number {
    return this.cfg.resendMs;
  }

  link(inc: IncidentRecord): string | undefined {
    return this.cfg.dashboardUrl ? `${this.cfg.dashboardUrl.replace(/\/$/, '')}/#/incident/${encodeURIComponent(inc.id)}` : undefined;
  }

  labels(inc: IncidentRecord): Record<string, string> {
    const g = inc.cause?.graph;
    const mover = inc.movers[0];
    const job = g?.job ?? mover?.job ?? (inc.jobs.length === 1 ? inc.jobs[0] : undefined);
    const operator = g?.vertex ?? (mover && mover.job === job ? mover.operator : undefined);
    const l: Record<string, string> = { alertname: 'FlinkHotspot', incident: inc.id, machine: inc.machine, type: inc.type, severity: SEVERITY[inc.type] };
    if (job) l.job = job;
    if (operator) l.operator = operator;
    // each update (the incident rose again while open) is a new label set: Alertmanager notifies on it, as for a new
    // alert, and the previous set ends in the same post
    if (inc.updates?.length) l.episode = String(inc.updates.length + 1);
    return l;
  }

  annotations(inc: IncidentRecord): Record<string, string> {
    const cause = causeLine(inc);
    const why = inc.explanation.filter((c) => c.share > 0).slice(0, 4).map((c) => `${c.name} ${pct(c.share)}${c.meanZ < 0 ? ' (down)' : ''}`).join(', ');
    const a: Record<string, string> = {
      summary: `${inc.type} hotspot on ${inc.machine}${cause ? `; cause: ${cause}` : ''}`,
      explanation: why ? `what moved: ${why}` : 'what moved: no metric stood out',
    };
    if (cause) a.cause = cause;
    if (inc.events.length) a.events = inc.events.slice(0, 5).join(', ');
    const link = this.link(inc);
    if (link) a.dashboard = link;
    return a;
  }

  /** The alert for an incident: firing until now + ttl, or ended at its resolve time. */
  toAlert(inc: IncidentRecord, kind: AlertKind, now: number): AmAlert {
    const ends = kind === 'resolved' || inc.state === 'resolved' ? (inc.resolvedAt ?? inc.lastSeen) : now + this.cfg.ttlMs;
    const link = this.link(inc);
    return {
      labels: this.labels(inc), annotations: this.annotations(inc), startsAt: new Date(inc.onset).toISOString(), endsAt: new Date(ends).toISOString(),
      ...(link ? { generatorURL: link } : {}),
    };
  }

  /** Posts the incident's alert (and ends a label set posted before that differs). Idempotent. */
  async send(inc: IncidentRecord, kind: AlertKind, now = Date.now()): Promise<AlertOutcome> {
    const p = this.withStale([inc], kind, now);
    await this.post(p.alerts);
    p.commit();
    return 'sent';
  }

  /** Alertmanager has no rate limit of ours (it groups itself): a digest is one post of the alerts. */
  async sendDigest(items: { inc: IncidentRecord; kind: AlertKind }[], now = Date.now()): Promise<void> {
    const posts = items.map((x) => this.withStale([x.inc], x.kind, now));
    await this.post(posts.flatMap((p) => p.alerts));
    for (const p of posts) p.commit();
  }

  /** Re-posts the open (paged, not resolved) incidents so Alertmanager keeps them firing; returns how many. */
  async refresh(active: readonly IncidentRecord[], now = Date.now()): Promise<number> {
    const open = active.filter((i) => i.paged && i.state !== 'resolved');
    for (let i = 0; i < open.length; i += 200) {
      const p = this.withStale(open.slice(i, i + 200), 'open', now);
      await this.post(p.alerts);
      p.commit();
    }
    return open.length;
  }

  /** The alerts to post (with the stale label sets to end) and what to remember once the post succeeded. */
  private withStale(incs: readonly IncidentRecord[], kind: AlertKind, now: number): { alerts: AmAlert[]; commit: () => void } {
    const alerts: AmAlert[] = [];
    const after: [string, { key: string; labels: Record<string, string>; startsAt: string } | null][] = [];
    for (const inc of incs) {
      const a = this.toAlert(inc, kind, now);
      const key = JSON.stringify(a.labels);
      const before = this.posted.get(inc.id);
      if (before && before.key !== key) alerts.push({ labels: before.labels, annotations: a.annotations, startsAt: before.startsAt, endsAt: new Date(now).toISOString() });
      alerts.push(a);
      after.push([inc.id, kind === 'resolved' ? null : { key, labels: a.labels, startsAt: a.startsAt }]);
    }
    return { alerts, commit: () => { for (const [id, v] of after) if (v) this.posted.set(id, v); else this.posted.delete(id); } };
  }

  private async post(alerts: AmAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    const url = `${this.cfg.url.replace(/\/$/, '')}/api/v2/alerts`;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts), signal: AbortSignal.timeout(this.cfg.timeoutMs) });
    } catch (e) {
      let c: unknown = e;
      while (c instanceof Error && c.cause instanceof Error) c = c.cause;
      throw new AlertError(`alertmanager ${url} unreachable: ${(c as Error).message}`);
    }
    const text = await res.text();
    if (res.status < 200 || res.status >= 300) throw new AlertError(`alertmanager ${url} answered HTTP ${res.status}: ${text.replace(/\s+/g, ' ').trim().slice(0, 200)}`);
  }
}
