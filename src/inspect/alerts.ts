// Webhook alerts for incidents: JSON (or Slack-compatible `{text}`) POSTs with de-duplication, a rate limit and
// resolve messages (task brief "Alerts"); a receiver that is down yields a typed error.
// Outbound safety: redirects are not followed blindly — at most 3 same-origin 307/308 hops re-POST the alert; a
// redirect to another origin (host, port or scheme) or one that would turn the POST into a GET is an error. With
// denyPrivate, targets on loopback, private, link-local, CGNAT, multicast or reserved addresses are refused: IP
// literals before the request, host names at connect time (the check runs inside the DNS lookup of the very
// connection, so a name that resolves differently between a check and the connect — DNS rebinding — cannot slip
// through). Not covered: a proxy in front of the target (the proxy's address is what gets checked).
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import type { AlertKind, Breach, Incident, IncidentRecord } from '../core/incident.js';

const PRIVATE = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

/** Loopback, private, link-local, CGNAT, multicast, reserved or unspecified (IPv4-mapped IPv6 judged as IPv4). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  const v = isIP(address);
  if (v === 0) return true; // not an address: refuse rather than guess
  return PRIVATE.check(address, v === 4 ? 'ipv4' : 'ipv6');
}

/** dns.lookup that fails for private answers: used as the connect-time lookup of a denyPrivate alerter. */
function publicLookup(hostname: string, options: LookupOptions, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return cb(err, []);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) return cb(new AlertError(`webhook host ${hostname} resolves to ${bad.address}, a private / loopback / link-local address (refused: denyPrivate)`), []);
    if (options.all) cb(null, addresses);
    else cb(null, addresses[0].address, addresses[0].family);
  });
}

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
  /** Refuse targets on loopback / private / link-local addresses (after DNS resolution). Default false. */
  denyPrivate?: boolean;
}

const MAX_REDIRECTS = 3;

export type { AlertKind };

export type AlertOutcome = 'sent' | 'duplicate' | 'rate-limited';

/** Where the outbox (src/app/alerts.ts) delivers alerts: a webhook, Alertmanager (src/inspect/alertmanager.ts). A
 *  sink must take the same alert twice without harm: delivery is at least once. */
export interface AlertSink {
  /** The outbox's name for the sink: each sink has its own rows and its own delivery state. */
  readonly name: string;
  /** `key` is the outbox's receiver-side id (default `<incident>:<kind>`; an incident has one per update). */
  send(inc: IncidentRecord, kind: AlertKind, now?: number, key?: string): Promise<AlertOutcome>;
  /** Alerts that waited out a rate limit, sent together (a sink without a rate limit may post them as it likes). */
  sendDigest(items: { inc: IncidentRecord; kind: AlertKind; key?: string }[], now?: number): Promise<void>;
}

export class AlertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertError';
  }
}

export class WebhookAlerter implements AlertSink {
  readonly name = 'webhook';
  private readonly sentKeys = new Set<string>();
  private readonly sentTimes: number[] = [];
  private readonly cfg: Required<AlertConfig>;
  private readonly agent: Agent;

  constructor(cfg: AlertConfig) {
    let u: URL;
    try {
      u = new URL(cfg.url);
    } catch {
      throw new AlertError(`webhook url is not a valid URL: '${cfg.url}'`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AlertError(`webhook url must be http(s) (got ${u.protocol})`);
    this.cfg = { format: 'json', maxPerWindow: 10, windowMs: 60_000, timeoutMs: 5_000, denyPrivate: false, ...cfg };
    if (!(this.cfg.maxPerWindow >= 1)) throw new AlertError(`maxPerWindow must be ≥ 1 (got ${this.cfg.maxPerWindow})`);
    this.agent = new Agent(this.cfg.denyPrivate ? { connect: { lookup: publicLookup } } : {});
  }

  /** POSTs body to the webhook, following only same-origin 307/308 redirects (a few); returns the final answer. */
  private async post(body: string, key: string): Promise<{ status: number; url: string }> {
    let url = this.cfg.url;
    for (let hop = 0; ; hop++) {
      const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
      if (this.cfg.denyPrivate && isIP(host) && isPrivateAddress(host)) {
        throw new AlertError(`webhook ${url} is a private / loopback / link-local address (refused: denyPrivate)`);
      }
      let res;
      try {
        res = await undiciFetch(url, {
          method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body, redirect: 'manual',
          signal: AbortSignal.timeout(this.cfg.timeoutMs), dispatcher: this.agent,
        });
      } catch (e) {
        let c: unknown = e;
        while (c instanceof Error && c.cause instanceof Error) c = c.cause;
        if (c instanceof AlertError) throw c;
        throw new AlertError(`webhook ${url} unreachable: ${(c as Error).message}`);
      }
      await res.body?.cancel();
      if (res.status < 300 || res.status >= 400) return { status: res.status, url };
      const location = res.headers.get('location');
      const next = location ? new URL(location, url) : null;
      if (!next) throw new AlertError(`webhook ${url} answered HTTP ${res.status} without a Location`);
      if (next.origin !== new URL(url).origin) throw new AlertError(`webhook ${url} redirects to another host (${next.href}): not followed`);
      if (res.status !== 307 && res.status !== 308) throw new AlertError(`webhook ${url} answered HTTP ${res.status} (to ${next.href}), which would turn the POST into a GET: not followed`);
      if (hop + 1 > MAX_REDIRECTS) throw new AlertError(`webhook ${this.cfg.url}: more than ${MAX_REDIRECTS} redirects`);
      url = next.href;
    }
  }

  /** The alert's body; an update says when the incident renewed (`key` is `<incident>:update:<data time>`). */
  payload(inc: Incident, kind: AlertKind, key = `${inc.id}:${kind}`): unknown {
    if (this.cfg.format === 'slack') {
      const breach = breachText((inc as { breach?: Breach | null }).breach);
      if (kind === 'update') {
        const at = Number(key.slice(key.lastIndexOf(':') + 1));
        const r = inc.renewals?.find((x) => x.at === at);
        const led = r?.lead ? `, now led by ${r.lead}${r.leadBefore ? ` (before: ${r.leadBefore})` : ''}` : '';
        return { text: `:repeat: flinkscope: ${inc.type} hotspot on ${inc.machine} rose again at ${Number.isFinite(at) ? new Date(at).toISOString() : 'an unknown time'}${led} while its incident was still open (open since ${new Date(inc.onset).toISOString()}, incident ${inc.id})${breach}` };
      }
      const when = new Date(kind === 'open' ? inc.onset : (inc.resolvedAt ?? inc.lastSeen)).toISOString();
      const text = kind === 'open'
        ? `:rotating_light: flinkscope: ${inc.type} hotspot on ${inc.machine} since ${when} (${peakText(inc)}, incident ${inc.id})${breach}`
        : `:white_check_mark: flinkscope: ${inc.machine} resolved at ${when} (incident ${inc.id})`;
      return { text };
    }
    return { id: key, kind, incident: inc };
  }

  /** Sends one alert unless already sent for (incident, kind) or over the rate limit. `now` is the clock (ms). The
   *  receiver-side id `<incident>:<kind>` travels in the payload (JSON) and as the Idempotency-Key header. */
  async send(inc: Incident, kind: AlertKind, now = Date.now(), key = `${inc.id}:${kind}`): Promise<AlertOutcome> {
    if (this.sentKeys.has(key)) return 'duplicate';
    while (this.sentTimes.length && now - this.sentTimes[0] >= this.cfg.windowMs) this.sentTimes.shift();
    // Resolve messages bypass the limit so no open alert is left dangling.
    if (kind !== 'resolved' && this.sentTimes.length >= this.cfg.maxPerWindow) return 'rate-limited';
    const res = await this.post(JSON.stringify(this.payload(inc, kind, key)), key);
    if (res.status < 200 || res.status >= 300) throw new AlertError(`webhook ${res.url} answered HTTP ${res.status}`);
    this.sentKeys.add(key);
    this.sentTimes.push(now);
    return 'sent';
  }

  /**
   * Sends alerts that waited out a rate limit as ONE message (a digest: `{ id, kind: 'digest', alerts: [payload…] }`,
   * or one Slack text listing them) — past the limit, so a backlog drains in one post instead of trickling out. Each
   * inner alert keeps its own id for receivers that de-duplicate.
   */
  async sendDigest(items: { inc: Incident; kind: AlertKind; key?: string }[], now = Date.now()): Promise<void> {
    const keyOf = (x: { inc: Incident; kind: AlertKind; key?: string }): string => x.key ?? `${x.inc.id}:${x.kind}`;
    const fresh = items.filter((x) => !this.sentKeys.has(keyOf(x)));
    if (fresh.length === 0) return;
    const keys = fresh.map(keyOf);
    const id = `digest:${keys[0]}+${keys.length - 1}`;
    const body = this.cfg.format === 'slack'
      ? { text: `flinkscope: ${fresh.length} alerts held back by the rate limit:\n${fresh.map((x) => (this.payload(x.inc, x.kind, keyOf(x)) as { text: string }).text).join('\n')}` }
      : { id, kind: 'digest', alerts: fresh.map((x) => this.payload(x.inc, x.kind, keyOf(x))) };
    const res = await this.post(JSON.stringify(body), id);
    if (res.status < 200 || res.status >= 300) throw new AlertError(`webhook ${res.url} answered HTTP ${res.status}`);
    for (const k of keys) this.sentKeys.add(k);
    this.sentTimes.push(now);
  }
}

/** ' — latency_ms will cross 500 in ~42 min' (or 'is past') for a Slack line; '' without an estimate. */
function breachText(b: Breach | null | undefined): string {
  if (!b) return '';
  return b.inMs <= 0 ? ` — ${b.metric} is past its limit ${b.limit}` : ` — ${b.metric} will cross ${b.limit} in ~${Math.max(1, Math.round(b.inMs / 60_000))} min`;
}

/** 'peak 3.20 on the alarm scale (1 = the opening level)' for a Slack line: the scale reads the same for every machine
 *  and every model (src/core/units.ts). An incident stored before it was kept shows its raw score. */
export function peakText(inc: Pick<Incident, 'peak' | 'peakUnits'>): string {
  return inc.peakUnits !== undefined && Number.isFinite(inc.peakUnits) ? `peak ${inc.peakUnits.toFixed(2)} on the alarm scale (1 = the opening level)` : `peak score ${inc.peak.toFixed(2)}`;
}
