// Sample roll-ups as the PostgreSQL engine keeps them: incrementally, in the transaction that stores the samples.
// Several workers write at once (each its own machines), so the SQLite engine's way — one "built until" per level,
// closed buckets built in bulk from every machine's rows — would make every writer wait for, and redo, the others'
// machines. Here each new sample entry is added to its (level, machine, bucket) cell: the cells a batch touches are
// read under a row lock, summed with the batch's entries and written back. Counts and sums add up in any order, so
// the cells are exact whatever the interleaving; a re-delivered sample is no new entry and adds nothing.
import { alignDown, ROLLUP_LEVELS } from './common.js';
import { eachSum, packSums } from './rows.js';

export interface RollupRow { level: number; machine: string; bucket: number; v: Buffer }

/** Cells being accumulated: (level, machine, bucket) → counts | sums by metric id (M of each). */
export class RollupCells {
  private readonly cells = new Map<string, { level: number; machine: string; bucket: number; c: Float64Array }>();

  constructor(private readonly M: number) {}

  private cell(level: number, machine: string, bucket: number): Float64Array {
    const k = `${level}\u0000${machine}\u0000${bucket}`;
    let e = this.cells.get(k);
    if (!e) this.cells.set(k, (e = { level, machine, bucket, c: new Float64Array(2 * this.M) }));
    return e.c;
  }

  /** One sample entry, into its bucket of every level. */
  add(machine: string, ts: number, id: number, value: number): void {
    for (const l of ROLLUP_LEVELS) {
      const c = this.cell(l, machine, alignDown(ts, l));
      c[id]++;
      c[this.M + id] += value;
    }
  }

  /** A stored cell's counts and sums, added to the one being accumulated (which must exist). */
  merge(level: number, machine: string, bucket: number, v: Uint8Array): void {
    const c = this.cell(level, machine, bucket);
    eachSum(v, (id, n, sum) => { c[id] += n; c[this.M + id] += sum; });
  }

  /** The keys of the cells, sorted (rows are locked in one order by every writer: no deadlocks). */
  keys(): { level: number; machine: string; bucket: number }[] {
    return [...this.cells.values()].map(({ level, machine, bucket }) => ({ level, machine, bucket }))
      .sort((a, b) => a.level - b.level || (a.machine < b.machine ? -1 : a.machine > b.machine ? 1 : a.bucket - b.bucket));
  }

  rows(): RollupRow[] {
    return [...this.cells.values()].map((e) => ({ level: e.level, machine: e.machine, bucket: e.bucket, v: packSums(e.c, this.M) }));
  }
}
