// The polling loop behind `flinkscope collect`: calls a source every interval, hands each batch to a sink (the
// store), keeps a live status (machines, samples/s, errors) and never dies on a source error — it reports it and
// tries again at the next tick.
import type { Sample } from '../core/sample.js';

export interface PollStatus {
  polls: number;
  samples: number;
  machines: number;
  errors: number;
  lastError: string | null;
  samplesPerSec: number;
}

export interface PollerOptions {
  intervalMs: number;
  /** Stop after this many polls (undefined = forever). */
  maxPolls?: number;
  signal?: AbortSignal;
  onStatus?: (s: PollStatus) => void;
}

export async function pollLoop(poll: () => Promise<Sample[]>, sink: (batch: Sample[]) => number | Promise<number>, o: PollerOptions): Promise<PollStatus> {
  const st: PollStatus = { polls: 0, samples: 0, machines: 0, errors: 0, lastError: null, samplesPerSec: 0 };
  const machines = new Set<string>();
  const t0 = Date.now();
  while (!o.signal?.aborted && (o.maxPolls === undefined || st.polls < o.maxPolls)) {
    const started = Date.now();
    try {
      const batch = await poll();
      st.samples += await sink(batch);
      for (const s of batch) machines.add(s.machine);
    } catch (e) {
      st.errors++;
      st.lastError = (e as Error).message;
    }
    st.polls++;
    st.machines = machines.size;
    st.samplesPerSec = st.samples / Math.max((Date.now() - t0) / 1000, 1e-3);
    o.onStatus?.({ ...st });
    if (o.maxPolls !== undefined && st.polls >= o.maxPolls) break;
    const wait = Math.max(0, o.intervalMs - (Date.now() - started));
    await new Promise<void>((r) => {
      const timer = setTimeout(r, wait);
      o.signal?.addEventListener('abort', () => { clearTimeout(timer); r(); }, { once: true });
    });
  }
  return st;
}
