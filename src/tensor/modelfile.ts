// The model file: one versioned container for every learned thing flinkscope saves (detectors, engine modules).
// Layout: "FLSCOPE\0" (8 bytes) | u32 format version | u32 header length | header JSON (utf-8) | tensor bytes.
// The header lists each array (name, dtype, shape, byte offset/length) next to free-form metadata. Writes are atomic
// (temp file in the same directory, fsync, rename), so a crash never leaves a half-written model behind.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const MODEL_FILE_VERSION = 1;
const MAGIC = Buffer.from('FLSCOPE\0', 'latin1');

export type ArrayDType = 'float32' | 'float64' | 'int32' | 'uint8';
export type StoredArray = Float32Array | Float64Array | Int32Array | Uint8Array;
export interface StoredTensor {
  data: StoredArray;
  shape: number[];
}
interface ArrayEntry {
  name: string;
  dtype: ArrayDType;
  shape: number[];
  offset: number;
  bytes: number;
}
export interface ModelFile<M> {
  meta: M;
  arrays: Map<string, StoredTensor>;
}

export class ModelFileError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'ModelFileError';
  }
}

function dtypeOf(a: StoredArray): ArrayDType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'uint8';
}

const ctor = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array } as const;

/** Writes `meta` and `arrays` to `path` atomically. */
export function writeModelFile(path: string, meta: object, arrays: Record<string, StoredTensor> | Map<string, StoredTensor>): void {
  const entries: ArrayEntry[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  const items = arrays instanceof Map ? [...arrays.entries()] : Object.entries(arrays);
  for (const [name, t] of items) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`array '${name}': shape [${t.shape}] holds ${n} values, data has ${t.data.length}`);
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const pad = (8 - (offset % 8)) % 8; // keep every array 8-byte aligned for zero-copy views
    if (pad) chunks.push(Buffer.alloc(pad));
    offset += pad;
    entries.push({ name, dtype: dtypeOf(t.data), shape: t.shape, offset, bytes: bytes.length });
    chunks.push(bytes);
    offset += bytes.length;
  }
  const header = Buffer.from(JSON.stringify({ meta, arrays: entries, totalBytes: offset }), 'utf8');
  const fixed = Buffer.alloc(8);
  fixed.writeUInt32LE(MODEL_FILE_VERSION, 0);
  fixed.writeUInt32LE(header.length, 4);
  const headPad = Buffer.alloc((8 - ((MAGIC.length + 8 + header.length) % 8)) % 8, 0x20);
  writeFileAtomic(path, [MAGIC, fixed, header, headPad, ...chunks]);
}

/** Reads a model file; throws ModelFileError on a foreign, truncated or newer-version file. */
export function readModelFile<M = unknown>(path: string): ModelFile<M> {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new ModelFileError(`cannot read model file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, path);
  }
  if (buf.length < 16 || !buf.subarray(0, 8).equals(MAGIC)) throw new ModelFileError('not a flinkscope model file', path);
  const version = buf.readUInt32LE(8);
  if (version !== MODEL_FILE_VERSION) {
    throw new ModelFileError(`model file format version ${version} is not supported (this flinkscope reads version ${MODEL_FILE_VERSION})`, path);
  }
  const hlen = buf.readUInt32LE(12);
  if (16 + hlen > buf.length) throw new ModelFileError('truncated model file (header incomplete)', path);
  let header: { meta: M; arrays: ArrayEntry[]; totalBytes: number };
  try {
    header = JSON.parse(buf.subarray(16, 16 + hlen).toString('utf8'));
  } catch {
    throw new ModelFileError('corrupt model file header', path);
  }
  let start = 16 + hlen;
  start += (8 - (start % 8)) % 8;
  if (buf.length - start !== header.totalBytes) {
    throw new ModelFileError(`truncated model file: expected ${header.totalBytes} data bytes, found ${buf.length - start}`, path);
  }
  const arrays = new Map<string, StoredTensor>();
  for (const e of header.arrays) {
    const C = ctor[e.dtype];
    if (!C) throw new ModelFileError(`unknown array dtype '${e.dtype}'`, path);
    const copy = new Uint8Array(e.bytes);
    copy.set(buf.subarray(start + e.offset, start + e.offset + e.bytes));
    arrays.set(e.name, { data: new C(copy.buffer, 0, e.bytes / C.BYTES_PER_ELEMENT), shape: e.shape });
  }
  return { meta: header.meta, arrays };
}

/** Writes chunks to `path` via a temp file + fsync + rename in the same directory. */
export function writeFileAtomic(path: string, chunks: (Buffer | Uint8Array | string)[]): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks) writeSync(fd, typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
