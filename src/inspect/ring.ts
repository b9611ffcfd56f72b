// Per-machine ring buffer of the last `capacity` samples (timestamp + C metric values), so the online scorer keeps
// exactly one scoring window per machine and can tell new timestamps from ones already seen (task brief "watch").
// Rows are appended to a buffer a quarter longer than the capacity; when it is full, the newest `capacity` rows move
// to its front. So the newest n rows are always one contiguous run and a snapshot is a view, not a copy (10 000
// machines' windows every scrape were ~100 MB copied); the move costs ~4 rows per push, amortised.

export class RingBuffer {
  readonly capacity: number;
  readonly channels: number;
  private readonly ts: Float64Array; // (R,) R = capacity + slack rows
  private readonly vals: Float32Array; // (R, C)
  private end = 0; // next write row; the contents are rows [end - size, end)
  private size_ = 0;

  constructor(capacity: number, channels: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer (got ${capacity})`);
    if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`ring needs ≥1 channel (got ${channels})`);
    this.capacity = capacity;
    this.channels = channels;
    const rows = capacity + Math.max(1, Math.ceil(capacity / 4));
    this.ts = new Float64Array(rows);
    this.vals = new Float32Array(rows * channels);
  }

  get size(): number {
    return this.size_;
  }

  /** Timestamp of the newest sample, or -Infinity when empty. */
  get lastTimestamp(): number {
    return this.size_ ? this.ts[this.end - 1] : -Infinity;
  }

  /** Appends one sample; returns false (and stores nothing) when t is not newer than the last timestamp. */
  push(t: number, row: ArrayLike<number>): boolean {
    if (row.length !== this.channels) throw new RangeError(`sample has ${row.length} values, ring expects ${this.channels}`);
    return this.pushFrom(t, row, 0);
  }

  /** push() of the row at values[at … at + C) of a (n, C) matrix (no row copied out of it first). */
  pushFrom(t: number, values: ArrayLike<number>, at: number): boolean {
    if (at < 0 || at + this.channels > values.length) throw new RangeError(`row at ${at} is outside the ${values.length} values given`);
    if (!(t > this.lastTimestamp)) return false;
    const C = this.channels;
    if (this.end === this.ts.length) { // full: the newest capacity − 1 rows to the front, this row after them
      const keep = this.capacity - 1;
      this.ts.copyWithin(0, this.end - keep, this.end);
      this.vals.copyWithin(0, (this.end - keep) * C, this.end * C);
      this.end = keep;
    }
    this.ts[this.end] = t;
    for (let c = 0; c < C; c++) this.vals[this.end * C + c] = values[at + c];
    this.end++;
    this.size_ = Math.min(this.size_ + 1, this.capacity);
    return true;
  }

  /** Contents oldest first — the newest `last` rows when given: timestamps (n,) and values (n, C). Views of the ring:
   *  valid until its next push (copy what is kept longer). */
  snapshot(last = Infinity): { timestamps: Float64Array; values: Float32Array } {
    const n = Math.min(this.size_, last);
    const C = this.channels;
    return { timestamps: this.ts.subarray(this.end - n, this.end), values: this.vals.subarray((this.end - n) * C, this.end * C) };
  }

  /** Plain JSON-able state (oldest first), for persisting per-machine state across restarts. */
  toJSON(): { capacity: number; channels: number; timestamps: number[]; values: number[] } {
    const s = this.snapshot();
    return { capacity: this.capacity, channels: this.channels, timestamps: Array.from(s.timestamps), values: Array.from(s.values) };
  }

  static fromJSON(j: { capacity: number; channels: number; timestamps: number[]; values: number[] }): RingBuffer {
    const r = new RingBuffer(j.capacity, j.channels);
    if (j.values.length !== j.timestamps.length * j.channels) throw new RangeError('saved ring state is truncated');
    for (let i = 0; i < j.timestamps.length; i++) r.push(j.timestamps[i], j.values.slice(i * j.channels, (i + 1) * j.channels));
    return r;
  }
}
