// The polling loop behind `flinkscope collect`: calls a poll every interval (it reads the source and stores what it
// read: src/app/collect.ts, the same poll as `watch`), keeps a live status (machines, samples/s, errors, gaps) and never dies on a source error — it reports it and
// tries again at the next tick. A poll failed when it threw or when it brought errors and no sample; a poll with
// samples and some errors (one query, one TaskManager) is partial. The sleep between polls leaves no listener behind
// on the abort signal (a long-running collect used to add one per poll).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sample } from '../core/sample.js';

/** What one poll of a source brought: samples, errors of the parts that failed, values that were not numbers. */
export interface PollResult {
  samples: Sample[];
  errors: string[];
  /** Values the source reported that were not numbers (kept out, counted). */
  gaps: number;
}

/** A poll that also stored what it read: how many samples were new to the sink. */
export interface StoredPoll extends PollResult {
  stored: number;
}

export interface PollStatus {
  polls: number;
  /** Samples the sink stored (new ones). */
  samples: number;
  /** Samples the source delivered (stored or already there). */
  received: number;
  machines: number;
  /** Polls that failed (threw, or errors and nothing else). */
  errors: number;
  /** Polls that brought samples and some errors. */
  partial: number;
  gaps: number;
  lastError: string | null;
  samplesPerSec: number;
}

export interface PollerOptions {
  intervalMs: number;
  /** Stop after this many polls (undefined = forever). */
  maxPolls?: number;
  signal?: AbortSignal;
  onStatus?: (s: PollStatus) => void;
  /** Each error of a partial or failed poll, as it happens. */
  onError?: (message: string) => void;
}

export async function pollLoop(poll: () => Promise<StoredPoll>, o: PollerOptions): Promise<PollStatus> {
  const st: PollStatus = { polls: 0, samples: 0, received: 0, machines: 0, errors: 0, partial: 0, gaps: 0, lastError: null, samplesPerSec: 0 };
  const machines = new Set<string>();
  const t0 = Date.now();
  while (!o.signal?.aborted && (o.maxPolls === undefined || st.polls < o.maxPolls)) {
    const started = Date.now();
    try {
      const r = await poll();
      st.samples += r.stored;
      st.received += r.samples.length;
      st.gaps += r.gaps;
      for (const s of r.samples) machines.add(s.machine);
      if (r.errors.length) {
        if (r.samples.length) st.partial++;
        else st.errors++;
        st.lastError = r.errors[r.errors.length - 1];
        for (const e of r.errors) o.onError?.(e);
      }
    } catch (e) {
      st.errors++;
      st.lastError = (e as Error).message;
      o.onError?.(st.lastError);
    }
    st.polls++;
    st.machines = machines.size;
    st.samplesPerSec = st.samples / Math.max((Date.now() - t0) / 1000, 1e-3);
    o.onStatus?.({ ...st });
    if (o.maxPolls !== undefined && st.polls >= o.maxPolls) break;
    const wait = Math.max(0, o.intervalMs - (Date.now() - started));
    await sleep(wait, undefined, { signal: o.signal }).catch(() => {}); // aborted: the loop condition ends it
  }
  return st;
}
