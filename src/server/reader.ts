// Range reads off the event loop. The SQLite driver is synchronous: a week-long range query, however well indexed,
// holds the event loop, and /api/health waits behind it. So the range routes (scores, metrics, the heat map) are
// answered by worker threads with their own read-only connections to the same store file (WAL: readers never block
// the writer, nor it them); the main thread only routes, checks and serialises. Two lanes, one worker each: what a
// dashboard asks (a chart's width in points, a heat map of its size) and bulk reads (thousands of points per series,
// or a month) — so a client pulling long series queues behind its own kind, not in front of the dashboard's charts.
// A store without a file (':memory:', tests) is read in-process.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { InspectionService, ServiceError } from '../app/service.js';
import { SqliteStore } from '../store/sqlite.js';

/** The service methods a reader answers (their results are plain data, so they cross the thread boundary). */
type Method = 'metrics' | 'scores' | 'cluster';
const METHODS: Method[] = ['metrics', 'scores', 'cluster'];
type Call = { id: number; method: Method; args: unknown[] };
type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; status?: 400 | 404 | 409; message: string };

export interface RangeReads {
  metrics: InspectionService['metrics'];
  scores: InspectionService['scores'];
  cluster: InspectionService['cluster'];
  close(): Promise<void>;
}

/** A worker-backed reader for a file store; the service itself (in-process) for anything else. */
export function rangeReader(svc: InspectionService, where: 'worker' | 'in-process' = 'worker'): RangeReads {
  const s = svc.store;
  if (where === 'worker' && s instanceof SqliteStore && s.location !== ':memory:') return new Lanes(s.location);
  return { metrics: (m, q) => svc.metrics(m, q), scores: (m, q) => svc.scores(m, q), cluster: (q) => svc.cluster(q), close: async () => undefined };
}

type RangeQ = { from?: number; to?: number; points?: number };
/** Bulk: more points than any chart is wide, or a span past a week and a half (the dashboard's longest is 7 d). */
const bulkRange = (q: RangeQ): boolean => (q.points ?? 1500) > 1200 || (q.from !== undefined && q.to !== undefined && q.to - q.from > 10 * 86_400_000);

class Lanes implements RangeReads {
  private readonly charts: WorkerReader;
  private readonly bulk: WorkerReader;
  constructor(location: string) {
    this.charts = new WorkerReader(location);
    this.bulk = new WorkerReader(location);
  }

  metrics: RangeReads['metrics'] = (m, q) => (bulkRange(q) ? this.bulk : this.charts).metrics(m, q);
  scores: RangeReads['scores'] = (m, q) => (bulkRange(q) ? this.bulk : this.charts).scores(m, q);
  cluster: RangeReads['cluster'] = (q) => ((q.buckets ?? 120) * (q.limit ?? 50) > 50_000 || bulkRange({ ...q, points: 0 }) ? this.bulk : this.charts).cluster(q);

  async close(): Promise<void> {
    await Promise.all([this.charts.close(), this.bulk.close()]);
  }
}

class WorkerReader implements RangeReads {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private next = 1;

  constructor(location: string) {
    this.worker = new Worker(fileURLToPath(import.meta.url), { workerData: { role: 'flinkscope-range-reader', location } });
    this.worker.unref(); // never what keeps the process alive
    this.worker.on('message', (a: Answer) => {
      const p = this.pending.get(a.id);
      if (!p) return;
      this.pending.delete(a.id);
      if (a.ok) p.resolve(a.value);
      else p.reject(a.status ? new ServiceError(a.status, a.message) : new Error(a.message));
    });
    const fail = (e: Error): void => {
      for (const p of this.pending.values()) p.reject(new Error(`range reader stopped: ${e.message}`));
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`exit ${code}`)));
  }

  private call<T>(method: Method, args: unknown[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.next++;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, args } satisfies Call);
    });
  }

  metrics: RangeReads['metrics'] = (m, q) => this.call('metrics', [m, q]);
  scores: RangeReads['scores'] = (m, q) => this.call('scores', [m, q]);
  cluster: RangeReads['cluster'] = (q) => this.call('cluster', [q]);

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

// ---- the worker side
if (!isMainThread && (workerData as { role?: string } | null)?.role === 'flinkscope-range-reader') {
  const svc = new InspectionService(new SqliteStore((workerData as { location: string }).location, { readonly: true }));
  parentPort!.on('message', async (c: Call) => {
    let a: Answer;
    try {
      if (!METHODS.includes(c.method)) throw new Error(`unknown method ${String(c.method)}`);
      const f = svc[c.method] as (...args: unknown[]) => Promise<unknown>;
      a = { id: c.id, ok: true, value: await f.apply(svc, c.args) };
    } catch (e) {
      a = e instanceof ServiceError ? { id: c.id, ok: false, status: e.status, message: e.message } : { id: c.id, ok: false, message: (e as Error).message };
    }
    parentPort!.postMessage(a);
  });
}
