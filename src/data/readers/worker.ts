// The reader worker (started by read.ts): opens one file per request, gunzips it when it starts with the gzip magic
// bytes, enforces the byte budget on what it decodes, parses it (CSV streaming; Parquet and matrices from a buffer)
// and posts back the Series with its buffers transferred. Decoder failures become DataErrors; anything else is
// reported as internal (a bug of ours, not a bad file). Stray promise rejections of a decoder are caught here so
// they can never take the process down after a clean error.
import { parentPort } from 'node:worker_threads';
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Series } from '../../core/series.js';
import { DataError, type ReadReport } from './report.js';
import { parseCsvStream, seriesName } from './csv.js';
import { decodeParquet } from './parquet.js';
import { parseMatrix } from './matrix.js';
import type { TableOptions } from './table.js';

export type FileFormat = 'csv' | 'parquet' | 'matrix';
export interface ReadJob {
  id: number;
  path: string;
  format: FileFormat;
  opts: TableOptions;
  maxBytes: number;
  maxLineChars: number;
}
export type ReadAnswer =
  | { type: 'ready' }
  | { id: number; ok: true; series: Series; report: ReadReport }
  | { id: number; ok: false; data: boolean; message: string };

// a decoder's stray rejections (hyparquet can leave one behind after rejecting) follow an answer already given
process.on('unhandledRejection', () => {});

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** The file's bytes as a stream, gunzipped if needed, failing once more than maxBytes came out. */
function open(path: string, maxBytes: number): Readable {
  let n = 0;
  const budget = new Transform({
    transform(chunk: Buffer, _enc, done) {
      n += chunk.length;
      done(n > maxBytes ? new DataError(`holds more than ${maxBytes} bytes (decompressed); the read limit is ${maxBytes}`, path) : null, chunk);
    },
  });
  const raw = createReadStream(path);
  if (!isGzip(path)) return raw.pipe(budget);
  const gunzip = createGunzip();
  // pipe() does not forward errors: the budget stream carries them (the consumer only sees the last stream)
  const fail = (e: NodeJS.ErrnoException): void => void budget.destroy(e.code?.startsWith('Z_') ? new DataError(`cannot decompress (truncated or corrupt gzip?): ${e.message}`, path) : e);
  raw.on('error', fail);
  gunzip.on('error', fail);
  return raw.pipe(gunzip).pipe(budget);
}

async function bytesOf(path: string, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of open(path, maxBytes)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function read(job: ReadJob): Promise<{ series: Series; report: ReadReport }> {
  const name = job.opts.name ?? seriesName(job.path);
  if (job.format === 'csv') return parseCsvStream(open(job.path, job.maxBytes), job.path, job.opts, job.maxLineChars);
  const bytes = await bytesOf(job.path, job.maxBytes);
  if (job.format === 'parquet') return decodeParquet(bytes, job.path, job.opts);
  return parseMatrix(bytes.toString('utf8'), job.path, name);
}

const port = parentPort!;
port.on('message', async (job: ReadJob) => {
  let answer: ReadAnswer;
  const transfer: ArrayBuffer[] = [];
  try {
    const { series, report } = await read(job);
    answer = { id: job.id, ok: true, series, report };
    for (const a of [series.timestamps, series.values, series.labels]) if (a && !transfer.includes(a.buffer as ArrayBuffer)) transfer.push(a.buffer as ArrayBuffer);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const fsError = typeof err?.code === 'string' && /^E[A-Z]+$/.test(err.code);
    answer = { id: job.id, ok: false, data: e instanceof DataError || fsError, message: fsError ? `${job.path}: cannot read: ${err.code}` : `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}` };
    if (e instanceof DataError) answer.message = e.message;
  }
  port.postMessage(answer, transfer);
});
port.postMessage({ type: 'ready' } satisfies ReadAnswer);
