// Alert delivery from the outbox: the watcher queues alerts in the same transaction as the incidents that raise
// them; this delivers the due ones afterwards, at least once — a failed POST is retried with exponential back-off,
// a rate-limited one is deferred to the next window and then sent with the others that waited in one digest (never
// dropped), a delivered one is marked so a restart does not send it again. Each alert carries its outbox key (`<incident>:<kind>`) as the receiver-side id.
// One dispatcher per sink (webhook, Alertmanager): each sink has its own outbox rows, so one that is down delays only
// its own alerts.
import type { Store, OutboxAlert } from '../store/store.js';
import type { AlertSink } from '../inspect/alerts.js';

/** The outbox note of an alert that waited out a rate limit: it goes out in the next digest. */
const DEFERRED = 'rate-limited: deferred to the next digest';

export interface DeliveryResult {
  delivered: number;
  deferred: number;
  failed: number;
  errors: string[];
}

export interface DispatchOptions {
  /** First retry after this long; doubles per attempt up to maxBackoffMs. Default 2 s. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Rate-limited alerts wait this long before the next try. Default 60 s (the alerter's window). */
  deferMs?: number;
  /** Alerts looked at per call. Default 200. */
  batch?: number;
  /** Deliver only the alerts of incidents whose id starts with one of these (asked at each call): a fleet worker's
   *  own partitions'. Default: all. */
  incidentPrefixes?: () => string[];
}

export class AlertDispatcher {
  constructor(private readonly store: Store, readonly sink: AlertSink, private readonly o: DispatchOptions = {}) {}

  private backoff(a: OutboxAlert): number {
    return Math.min((this.o.backoffMs ?? 2000) * 2 ** a.attempts, this.o.maxBackoffMs ?? 300_000);
  }

  /** Delivers the alerts due at `now` (wall clock): those that already waited out a rate limit together, as one
   *  digest; the others one by one (a rate-limited one waits for the next window). */
  async deliver(now = Date.now()): Promise<DeliveryResult> {
    const r: DeliveryResult = { delivered: 0, deferred: 0, failed: 0, errors: [] };
    const due = await this.store.dueAlerts(now, this.o.batch ?? 200, this.sink.name, this.o.incidentPrefixes?.());
    const waited = due.filter((a) => a.lastError === DEFERRED);
    if (waited.length > 1) {
      const items = [];
      for (const a of waited) {
        const inc = await this.store.incident(a.incidentId);
        if (inc) items.push({ a, inc });
        else await this.store.markDelivered(a.id, now);
      }
      try {
        await this.sink.sendDigest(items.map((x) => ({ inc: x.inc, kind: x.a.kind, key: x.a.key })), now);
        for (const x of items) await this.store.markDelivered(x.a.id, Date.now());
        r.delivered += items.length;
      } catch (e) {
        const msg = (e as Error).message;
        for (const x of items) await this.store.markRetry(x.a.id, now + this.backoff(x.a), DEFERRED, true); // still a digest next time
        r.failed += items.length;
        r.errors.push(msg);
      }
    }
    for (const a of waited.length > 1 ? due.filter((x) => x.lastError !== DEFERRED) : due) {
      const inc = await this.store.incident(a.incidentId);
      if (!inc) {
        // retention removed it: nothing left to announce
        await this.store.markDelivered(a.id, now);
        continue;
      }
      try {
        const outcome = await this.sink.send(inc, a.kind, now, a.key);
        if (outcome === 'rate-limited') {
          await this.store.markRetry(a.id, now + (this.o.deferMs ?? 60_000), DEFERRED, false);
          r.deferred++;
        } else {
          await this.store.markDelivered(a.id, Date.now());
          r.delivered++;
        }
      } catch (e) {
        const msg = (e as Error).message;
        await this.store.markRetry(a.id, now + this.backoff(a), msg, true);
        r.failed++;
        r.errors.push(msg);
      }
    }
    return r;
  }
}
