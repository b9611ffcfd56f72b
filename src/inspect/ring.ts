// Per-machine ring buffer of the last `capacity` samples (timestamp + C metric values), so the online scorer keeps
// exactly one scoring window per machine and can tell new timestamps from ones already seen (task brief "watch").

export class RingBuffer {
  readonly capacity: number;
  readonly channels: number;
  private readonly ts: Float64Array; // (N,)
  private readonly vals: Float32Array; // (N, C)
  private head = 0; // next write slot
  private size_ = 0;

  constructor(capacity: number, channels: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer (got ${capacity})`);
    if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`ring needs ≥1 channel (got ${channels})`);
    this.capacity = capacity;
    this.channels = channels;
    this.ts = new Float64Array(capacity);
    this.vals = new Float32Array(capacity * channels);
  }

  get size(): number {
    return this.size_;
  }

  /** Timestamp of the newest sample, or -Infinity when empty. */
  get lastTimestamp(): number {
    return this.size_ ? this.ts[(this.head - 1 + this.capacity) % this.capacity] : -Infinity;
  }

  /** Appends one sample; returns false (and stores nothing) when t is not newer than the last timestamp. */
  push(t: number, row: ArrayLike<number>): boolean {
    if (row.length !== this.channels) throw new RangeError(`sample has ${row.length} values, ring expects ${this.channels}`);
    if (!(t > this.lastTimestamp)) return false;
    this.ts[this.head] = t;
    for (let c = 0; c < this.channels; c++) this.vals[this.head * this.channels + c] = row[c];
    this.head = (this.head + 1) % this.capacity;
    this.size_ = Math.min(this.size_ + 1, this.capacity);
    return true;
  }

  /** Contents oldest first — the newest `last` rows when given: timestamps (n,) and values (n, C). */
  snapshot(last = Infinity): { timestamps: Float64Array; values: Float32Array } {
    const n = Math.min(this.size_, last);
    const C = this.channels;
    const timestamps = new Float64Array(n);
    const values = new Float32Array(n * C);
    const start = (this.head - n + this.capacity) % this.capacity;
    // at most two contiguous runs: start … the end of the buffer, then its beginning
    const first = Math.min(n, this.capacity - start);
    timestamps.set(this.ts.subarray(start, start + first), 0);
    values.set(this.vals.subarray(start * C, (start + first) * C), 0);
    if (first < n) {
      timestamps.set(this.ts.subarray(0, n - first), first);
      values.set(this.vals.subarray(0, (n - first) * C), first * C);
    }
    return { timestamps, values };
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
