// One stored row per (machine, timestamp): the machine's metric values at that time packed into one blob —
// (u16 metric id, f64 value) pairs, little-endian, sorted by id. A scrape of C metrics is one row, not C, so a
// 10 000-machine cluster writes 10 000 rows a scrape and a watcher reads a machine's window with one index range.
// Values stay float64 (exact). Metric ids are the store's (table metric_ids).

const ENTRY = 10;

/** Packs (id, value) entries into a row blob, sorted by id; where an id repeats, its first value wins (a value once
 *  stored is never replaced). The entries it holds: entryCount(blob). */
export function packRow(ids: number[], values: number[]): Buffer {
  let order: number[] | null = null; // null: ids already strictly ascending (the usual case: metrics in id order)
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] <= ids[i - 1]) {
      order = ids.map((_, k) => k).sort((a, b) => ids[a] - ids[b] || a - b); // stable: the first of a repeated id leads
      break;
    }
  }
  const b = Buffer.allocUnsafe(ids.length * ENTRY);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let o = 0;
  let last = -1;
  for (let k = 0; k < ids.length; k++) {
    const i = order === null ? k : order[k];
    if (ids[i] === last) continue;
    last = ids[i];
    v.setUint16(o, ids[i], true);
    v.setFloat64(o + 2, values[i], true);
    o += ENTRY;
  }
  return o === b.byteLength ? b : b.subarray(0, o);
}

/** Calls f(id, value) for every entry of a row blob. */
export function eachEntry(row: Uint8Array, f: (id: number, value: number) => void): void {
  const v = new DataView(row.buffer, row.byteOffset, row.byteLength);
  for (let o = 0; o + ENTRY <= row.byteLength; o += ENTRY) f(v.getUint16(o, true), v.getFloat64(o + 2, true));
}

/** Writes a row blob's values into out[at + col[id]] for the ids with a column (col[id] >= 0); the hot path of
 *  reading windows back (no callback per entry). */
export function unpackRow(row: Buffer, col: Int32Array, out: Float64Array, at: number): void {
  for (let o = 0; o + ENTRY <= row.byteLength; o += ENTRY) {
    const id = row.readUInt16LE(o);
    const j = id < col.length ? col[id] : -1;
    if (j >= 0) out[at + j] = row.readDoubleLE(o + 2);
  }
}

/** Entries in a row blob. */
export const entryCount = (row: Uint8Array): number => Math.floor(row.byteLength / ENTRY);

/** The old row with the new row's entries for ids it does not hold yet (a value once stored is never replaced). */
export function mergeRows(old: Uint8Array, add: Uint8Array): { row: Buffer; added: number } {
  const ids: number[] = [];
  const values: number[] = [];
  const have = new Set<number>();
  eachEntry(old, (id, v) => { ids.push(id); values.push(v); have.add(id); });
  let added = 0;
  eachEntry(add, (id, v) => {
    if (have.has(id)) return;
    ids.push(id);
    values.push(v);
    have.add(id);
    added++;
  });
  return { row: packRow(ids, values), added };
}

// Roll-up rows (schema v5): per (level, machine, bucket) one blob of (u16 metric id, u32 count, f64 sum) entries —
// like a sample row, one row per machine and bucket, however many metrics.
const SUM_ENTRY = 14;

/** Packs a roll-up cell — counts then sums, indexed by metric id (M of each) — into a blob of the ids counted. */
export function packSums(cell: Float64Array, M: number): Buffer {
  let k = 0;
  for (let id = 0; id < M; id++) if (cell[id] > 0) k++;
  const b = Buffer.allocUnsafe(k * SUM_ENTRY);
  let o = 0;
  for (let id = 0; id < M; id++) {
    if (!(cell[id] > 0)) continue;
    b.writeUInt16LE(id, o);
    b.writeUInt32LE(cell[id], o + 2);
    b.writeDoubleLE(cell[M + id], o + 6);
    o += SUM_ENTRY;
  }
  return b;
}

/** Calls f(id, count, sum) for every entry of a roll-up blob. */
export function eachSum(row: Uint8Array, f: (id: number, n: number, sum: number) => void): void {
  const v = new DataView(row.buffer, row.byteOffset, row.byteLength);
  for (let o = 0; o + SUM_ENTRY <= row.byteLength; o += SUM_ENTRY) f(v.getUint16(o, true), v.getUint32(o + 2, true), v.getFloat64(o + 6, true));
}
