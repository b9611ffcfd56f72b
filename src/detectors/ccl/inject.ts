// Flink-specific anomalies injected into a copy of a (scaled) training window: the negatives of the cross-contrastive
// loss. Kinds follow the hotspots operators see: slow ramp (latency creeping up), sustained high plateau, spike,
// level shift. Magnitudes are in robust-scaled units (IQRs).
import type { Rng } from '../../tensor/index.js';

export const INJECTION_KINDS = ['ramp', 'plateau', 'spike', 'shift'] as const;
export type InjectionKind = (typeof INJECTION_KINDS)[number];

export interface Injection {
  kind: InjectionKind;
  start: number;
  end: number; // exclusive
  channels: number[];
  magnitude: number;
}

/** Draws an injection for a window of L timestamps and C channels. */
export function drawInjection(L: number, C: number, rng: Rng): Injection {
  const kind = INJECTION_KINDS[rng.int(INJECTION_KINDS.length)];
  const len = kind === 'spike' ? 1 + rng.int(3) : Math.max(4, Math.floor(L * (0.2 + 0.4 * rng.next())));
  const start = kind === 'shift' ? Math.floor(L * (0.3 + 0.5 * rng.next())) : rng.int(Math.max(1, L - len));
  const end = kind === 'shift' ? L : Math.min(L, start + len);
  const nCh = 1 + rng.int(Math.max(1, Math.ceil(C / 3)));
  const chosen = new Set<number>();
  while (chosen.size < Math.min(nCh, C)) chosen.add(rng.int(C));
  const magnitude = (kind === 'spike' ? 4 : 2) + 3 * rng.next();
  return { kind, start, end, channels: [...chosen].sort((a, b) => a - b), magnitude };
}

/** Applies inj to window w (L, C) in place. */
export function applyInjection(w: Float32Array, L: number, C: number, inj: Injection): void {
  const { start, end, magnitude } = inj;
  for (let t = start; t < end; t++) {
    const frac = (t - start + 1) / (end - start);
    const delta = inj.kind === 'ramp' ? magnitude * frac : magnitude;
    for (const c of inj.channels) w[t * C + c] += delta;
  }
  void L;
}
