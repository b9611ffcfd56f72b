// The sources' load profile (harness Load.java reads it): a compressed day with a weekday shape, seeded random
// bursts on every source, per-second jitter. Drawn here from the seed so the manifest can state it exactly.
import { writeFileSync } from 'node:fs';
import { Rng } from '../../tensor/rng.js';

export interface Burst {
  /** ms after t0. */
  startMs: number;
  durMs: number;
  /** Rate multiplier at the burst's plateau. */
  factor: number;
}

export interface LoadProfile {
  /** Epoch ms of a (compressed) midnight; the recording starts somewhere in the day after it. */
  t0: number;
  /** One compressed day. */
  dayMs: number;
  jitter: number;
  seed: number;
  /** Source name → peak records/s (all subtasks) and bursts. */
  sources: Record<string, { peak: number; bursts: Burst[] }>;
}

/** The lab jobs' sources and their daily peak rates (records/s). */
export const SOURCE_PEAKS: Record<string, number> = { 'orders-source': 600, 'clicks-source': 450, 'profiles-source': 15 };

/**
 * A profile covering [startMs, startMs + spanMs]: the day's phase and weekday drawn from the seed, bursts as a
 * Poisson process (one per ~burstEveryMs per source), 15–60 s long, ×1.5–2.5.
 */
/** The lab's compressed day: the load curve repeats every 20 minutes. */
export const LAB_DAY_MS = 20 * 60_000;

export function drawLoad(seed: number, startMs: number, spanMs: number, o: { dayMs?: number; burstEveryMs?: number; jitter?: number } = {}): LoadProfile {
  const rng = new Rng(seed * 7919 + 13);
  const dayMs = o.dayMs ?? LAB_DAY_MS;
  const day = rng.int(7);
  const t0 = startMs - day * dayMs - Math.floor(rng.next() * dayMs);
  const sources: LoadProfile['sources'] = {};
  for (const [name, peak] of Object.entries(SOURCE_PEAKS)) {
    const bursts: Burst[] = [];
    for (let t = startMs - t0; ; ) {
      t += Math.round(-Math.log(1 - rng.next()) * (o.burstEveryMs ?? 4 * 60_000));
      if (t > startMs - t0 + spanMs) break;
      bursts.push({ startMs: t, durMs: Math.round(15_000 + rng.next() * 45_000), factor: Math.round((1.5 + rng.next()) * 100) / 100 });
    }
    sources[name] = { peak, bursts };
  }
  return { t0, dayMs, jitter: o.jitter ?? 0.1, seed, sources };
}

export function loadText(p: LoadProfile): string {
  const lines = [`t0=${p.t0}`, `dayMs=${p.dayMs}`, `jitter=${p.jitter}`, `seed=${p.seed}`];
  for (const [name, s] of Object.entries(p.sources)) {
    lines.push(`source.${name}.peak=${s.peak}`, `source.${name}.bursts=${s.bursts.map((b) => `${b.startMs}:${b.durMs}:${b.factor}`).join(',')}`);
  }
  return lines.join('\n') + '\n';
}

export function writeLoad(file: string, p: LoadProfile): void {
  writeFileSync(file, loadText(p));
}
