// Webhook alerts for incidents: JSON (or Slack-compatible `{text}`) POSTs with de-duplication, a rate limit and
// resolve messages (task brief "Alerts"). Uses Node's global fetch; a receiver that is down yields a typed error.

import type { Breach, Incident } from '../core/incident.js';

export interface AlertConfig {
  url: string;
  /** 'json' (default) posts the incident; 'slack' posts `{ text }`. */
  format?: 'json' | 'slack';
  /** At most this many POSTs per rate window. Default 10. */
  maxPerWindow?: number;
  /** Rate window, ms. Default 60 000. */
  windowMs?: number;
  /** Request timeout, ms. Default 5 000. */
  timeoutMs?: number;
}

export type AlertKind = 'open' | 'resolved';

export type AlertOutcome = 'sent' | 'duplicate' | 'rate-limited';

export class AlertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertError';
  }
}

export class WebhookAlerter {
  private readonly sentKeys = new Set<string>();
  private readonly sentTimes: number[] = [];
  private readonly cfg: Required<AlertConfig>;

  constructor(cfg: AlertConfig) {
    let u: URL;
    try {
      u = new URL(cfg.url);
    } catch {
      throw new AlertError(`webhook url is not a valid URL: '${cfg.url}'`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AlertError(`webhook url must be http(s) (got ${u.protocol})`);
    this.cfg = { format: 'json', maxPerWindow: 10, windowMs: 60_000, timeoutMs: 5_000, ...cfg };
    if (!(this.cfg.maxPerWindow >= 1)) throw new AlertError(`maxPerWindow must be ≥ 1 (got ${this.cfg.maxPerWindow})`);
  }

  payload(inc: Incident, kind: AlertKind): unknown {
    if (this.cfg.format === 'slack') {
      const when = new Date(kind === 'open' ? inc.onset : (inc.resolvedAt ?? inc.lastSeen)).toISOString();
      const text = kind === 'open'
        ? `:rotating_light: flinkscope: ${inc.type} hotspot on ${inc.machine} since ${when} (peak score ${inc.peak.toFixed(2)}, incident ${inc.id})${breachText((inc as { breach?: Breach | null }).breach)}`
        : `:white_check_mark: flinkscope: ${inc.machine} resolved at ${when} (incident ${inc.id})`;
      return { text };
    }
    return { id: `${inc.id}:${kind}`, kind, incident: inc };
  }

  /** Sends one alert unless already sent for (incident, kind) or over the rate limit. `now` is the clock (ms). The
   *  receiver-side id `<incident>:<kind>` travels in the payload (JSON) and as the Idempotency-Key header. */
  async send(inc: Incident, kind: AlertKind, now = Date.now()): Promise<AlertOutcome> {
    const key = `${inc.id}:${kind}`;
    if (this.sentKeys.has(key)) return 'duplicate';
    while (this.sentTimes.length && now - this.sentTimes[0] >= this.cfg.windowMs) this.sentTimes.shift();
    // Resolve messages bypass the limit so no open alert is left dangling.
    if (kind === 'open' && this.sentTimes.length >= this.cfg.maxPerWindow) return 'rate-limited';
    let res: Response;
    try {
      res = await fetch(this.cfg.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(this.payload(inc, kind)),
        signal: AbortSignal.timeout(this.cfg.timeoutMs),
      });
    } catch (e) {
      throw new AlertError(`webhook ${this.cfg.url} unreachable: ${(e as Error).message}`);
    }
    if (!res.ok) throw new AlertError(`webhook ${this.cfg.url} answered HTTP ${res.status}`);
    this.sentKeys.add(key);
    this.sentTimes.push(now);
    return 'sent';
  }
}

/** ' — latency_ms will cross 500 in ~42 min' (or 'is past') for a Slack line; '' without an estimate. */
function breachText(b: Breach | null | undefined): string {
  if (!b) return '';
  return b.inMs <= 0 ? ` — ${b.metric} is past its limit ${b.limit}` : ` — ${b.metric} will cross ${b.limit} in ~${Math.max(1, Math.round(b.inMs / 60_000))} min`;
}
