// Every file reader's entry point: the file is decoded in a worker thread (worker.ts) under a budget — bytes on disk
// and decompressed, a wall-clock deadline, a heap limit — so a corrupt file ends in one clear DataError naming it,
// never a hang, an out-of-memory crash or a stray rejection in this process. One worker is kept and reused (a
// request costs a message, not a thread start); a worker that times out or dies is replaced for the next request.
// Requests are served one at a time, in order, each with its own deadline.
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Series } from '../../core/series.js';
import { DataError, type ReadReport } from './report.js';
import { MAX_LINE_CHARS } from './csv.js';
import type { TableOptions } from './table.js';
import type { FileFormat, ReadAnswer, ReadJob } from './worker.js';

export type { FileFormat } from './worker.js';

export interface ReadLimits {
  /** Bytes on disk, and bytes after gunzip (default 1 GiB). */
  maxBytes?: number;
  /** Deadline for the whole read (default 30 s + 1 s per 2 MB on disk, ×10 when gzipped). */
  timeoutMs?: number;
  /** The worker's heap limit (default 4096 MB). */
  maxHeapMb?: number;
  /** Longest CSV line in characters (default 1 Mi). */
  maxLineChars?: number;
}

export interface ReadOptions extends TableOptions {
  /** Default: by extension — .parquet → parquet, .txt[.gz] → matrix, anything else CSV. */
  format?: FileFormat;
  limits?: ReadLimits;
}

const DEFAULT_MAX_BYTES = 1 << 30;
const DEFAULT_HEAP_MB = 4096;

export function formatOf(path: string): FileFormat {
  const p = path.replace(/\.gz$/i, '');
  return /\.parquet$/i.test(p) ? 'parquet' : /\.txt$/i.test(p) ? 'matrix' : 'csv';
}

class ReaderWorker {
  private worker: Worker | null = null;
  private ready: Promise<void> = Promise.resolve();
  private heapMb = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  /** Queues the job behind the ones before it. */
  run(job: Omit<ReadJob, 'id'>, timeoutMs: number, heapMb: number): Promise<{ series: Series; report: ReadReport }> {
    const p = this.tail.then(() => this.exec({ ...job, id: this.nextId++ }, timeoutMs, heapMb));
    this.tail = p.catch(() => {});
    return p;
  }

  private spawn(heapMb: number): void {
    const w = new Worker(new URL('./worker.js', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    this.worker = w;
    this.heapMb = heapMb;
    this.ready = new Promise<void>((resolve, reject) => {
      const onMsg = (m: ReadAnswer): void => {
        if (!('type' in m)) return;
        w.off('error', onErr);
        resolve();
      };
      const onErr = (e: Error): void => reject(new Error(`the reader worker did not start: ${e.message}`));
      w.once('message', onMsg);
      w.once('error', onErr);
    });
    this.ready.catch(() => {});
    w.on('exit', () => this.discard(w));
  }

  /** Drops a worker that timed out, failed or must be replaced; the next job starts a new one. */
  private discard(w: Worker): void {
    if (this.worker === w) this.worker = null;
    void w.terminate();
  }

  private async exec(job: ReadJob, timeoutMs: number, heapMb: number): Promise<{ series: Series; report: ReadReport }> {
    if (this.worker && this.heapMb !== heapMb) this.discard(this.worker);
    if (!this.worker) this.spawn(heapMb);
    const w = this.worker!;
    w.ref(); // an idle worker must not keep the process alive; a busy one must
    try {
      await this.ready.catch((e: Error) => {
        this.discard(w);
        throw e;
      });
      return await new Promise((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          w.off('message', onMsg);
          w.off('error', onErr);
          w.off('exit', onExit);
        };
        const timer = setTimeout(() => {
          done();
          this.discard(w);
          reject(new DataError(`gave up after ${(timeoutMs / 1000).toFixed(1)} s: decoding did not finish (a corrupt file can make a decoder loop)`, job.path));
        }, timeoutMs);
        const onMsg = (m: ReadAnswer): void => {
          if ('type' in m || m.id !== job.id) return;
          done();
          if (m.ok) resolve({ series: m.series, report: m.report });
          else reject(m.data ? new DataError(m.message) : new Error(`internal error reading ${job.path}: ${m.message}`));
        };
        const onErr = (e: Error & { code?: string }): void => {
          done();
          this.discard(w);
          reject(e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new DataError(`reading it needs more than ${heapMb} MB of memory (corrupt, or raise the read limits)`, job.path)
            : new Error(`the reader worker failed on ${job.path}: ${e.message}`));
        };
        const onExit = (code: number): void => {
          done();
          this.discard(w);
          reject(new Error(`the reader worker exited (code ${code}) while reading ${job.path}`));
        };
        w.on('message', onMsg);
        w.once('error', onErr);
        w.once('exit', onExit);
        w.postMessage(job);
      });
    } finally {
      w.unref();
    }
  }
}

const pool = new ReaderWorker();

/** Reads one table file (CSV, Parquet, SMD-style matrix; any of them gzipped) into a Series, within `limits`. */
export async function readSeriesFile(path: string, opts: ReadOptions = {}): Promise<{ series: Series; report: ReadReport }> {
  const { format = formatOf(path), limits = {}, ...table } = opts;
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DataError('not a file', path);
    size = st.size;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  if (size > maxBytes) throw new DataError(`is ${size} bytes; the read limit is ${maxBytes}`, path);
  const gz = /\.gz$/i.test(path) ? 10 : 1;
  const timeoutMs = limits.timeoutMs ?? 30_000 + (gz * size) / 2_000;
  return pool.run({ path, format, opts: table, maxBytes, maxLineChars: limits.maxLineChars ?? MAX_LINE_CHARS }, timeoutMs, limits.maxHeapMb ?? DEFAULT_HEAP_MB);
}

export function readCsvSeries(path: string, opts: Omit<ReadOptions, 'format'> = {}): Promise<{ series: Series; report: ReadReport }> {
  return readSeriesFile(path, { ...opts, format: 'csv' });
}

export function readParquetSeries(path: string, opts: Omit<ReadOptions, 'format'> = {}): Promise<{ series: Series; report: ReadReport }> {
  return readSeriesFile(path, { ...opts, format: 'parquet' });
}
