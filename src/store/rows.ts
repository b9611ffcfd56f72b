// One stored row per (machine, timestamp): the machine's metric values at that time packed into one blob —
// (u16 metric id, f64 value) pairs, little-endian, sorted by id. A scrape of C metrics is one row, not C, so a
// 10 000-machine cluster writes 10 000 rows a scrape and a watcher reads a machine's window with one index range.
// Values stay float64 (exact). Metric ids are the store's (table metric_ids).

const ENTRY = 10;

/** Packs (id, value) entries (ids unique) into a row blob, sorted by id. */
export function packRow(ids: number[], values: number[]): Buffer {
  const order = ids.map((_, i) => i).sort((a, b) => ids[a] - ids[b]);
  const b = Buffer.allocUnsafe(order.length * ENTRY);
  order.forEach((i, k) => {
    b.writeUInt16LE(ids[i], k * ENTRY);
    b.writeDoubleLE(values[i], k * ENTRY + 2);
  });
  return b;
}

/** Calls f(id, value) for every entry of a row blob. */
export function eachEntry(row: Uint8Array, f: (id: number, value: number) => void): void {
  const v = new DataView(row.buffer, row.byteOffset, row.byteLength);
  for (let o = 0; o + ENTRY <= row.byteLength; o += ENTRY) f(v.getUint16(o, true), v.getFloat64(o + 2, true));
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
