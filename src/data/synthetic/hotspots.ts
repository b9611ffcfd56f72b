// Hotspots injected into a generated machine: the kinds "Noise Matters" names (slow-rising latency, sustained high
// CPU / latency) plus spikes, level shifts and back-pressure cascades from a downstream machine. Each returns the
// timestamps it covers so they can be labelled (test) or kept hidden (training contamination).
import type { Rng } from '../../tensor/index.js';
import type { MachineFrame } from './cluster.js';

export const HOTSPOT_KINDS = ['slow-rise', 'plateau', 'spike', 'level-shift', 'backpressure'] as const;
export type HotspotKind = (typeof HOTSPOT_KINDS)[number];

export interface Hotspot {
  machine: string;
  type: HotspotKind;
  /** Index range [start, end) into the machine's full timeline. */
  start: number;
  end: number;
  /** For back-pressure: the downstream machine whose slowness causes it. */
  cause?: string;
}

/** Durations in samples for a given sampling interval. */
export function hotspotLength(kind: HotspotKind, intervalSec: number, rng: Rng): number {
  const h = 3600 / intervalSec;
  switch (kind) {
    case 'slow-rise': return Math.round(h * (2 + 4 * rng.next()));
    case 'plateau': return Math.round(h * (1 + 2 * rng.next()));
    case 'spike': return 1 + rng.int(3);
    case 'level-shift': return Math.round(h * (2 + 3 * rng.next()));
    case 'backpressure': return Math.round(h * (0.75 + 1.5 * rng.next()));
  }
}

/** Applies hotspot `kind` on [start, end) of frame m (in place). */
export function applyHotspot(m: MachineFrame, kind: HotspotKind, start: number, end: number, rng: Rng): void {
  const n = end - start;
  for (let i = 0; i < n; i++) {
    const t = start + i;
    const f = (i + 1) / n;
    switch (kind) {
      case 'slow-rise': {
        // latency creeps up for hours (a leak / growing state), CPU and busy time follow mildly
        m.latency_ms[t] *= 1 + 1.5 * f;
        m.busy_ms_per_s[t] = Math.min(1000, m.busy_ms_per_s[t] * (1 + 0.35 * f));
        m.cpu_load[t] = Math.min(1, m.cpu_load[t] * (1 + 0.3 * f));
        m.checkpoint_ms[t] *= 1 + 0.8 * f;
        break;
      }
      case 'plateau': {
        // CPU and latency jump to a high level and stay there
        m.cpu_load[t] = Math.min(1, 0.85 + 0.1 * rng.next());
        m.busy_ms_per_s[t] = 850 + 120 * rng.next();
        m.latency_ms[t] *= 2.2;
        m.gc_time_ms[t] *= 1.8;
        break;
      }
      case 'spike': {
        m.latency_ms[t] *= 4 + 2 * rng.next();
        m.cpu_load[t] = Math.min(1, m.cpu_load[t] + 0.4);
        m.gc_time_ms[t] *= 5;
        break;
      }
      case 'level-shift': {
        // e.g. a bad deploy: throughput drops, heap baseline and GC rise, and stay shifted
        m.records_in_per_s[t] *= 0.6;
        m.records_out_per_s[t] *= 0.6;
        m.heap_used[t] *= 1.35;
        m.gc_time_ms[t] *= 1.6;
        m.kafka_lag[t] += 2000 + 4000 * f;
        break;
      }
      case 'backpressure': {
        // this machine is throttled by a slow downstream machine
        m.backpressured_ms_per_s[t] = 500 + 400 * rng.next();
        m.records_out_per_s[t] *= 0.5;
        m.busy_ms_per_s[t] *= 0.6;
        m.kafka_lag[t] += 3000 * f;
        m.latency_ms[t] *= 1.6;
        break;
      }
    }
  }
}

/** The downstream side of a back-pressure cascade: the slow machine itself (busy at its limit). */
export function applySlowDownstream(m: MachineFrame, start: number, end: number, rng: Rng): void {
  for (let t = start; t < end; t++) {
    m.busy_ms_per_s[t] = 950 + 50 * rng.next();
    m.cpu_load[t] = Math.min(1, m.cpu_load[t] * 1.4);
    m.latency_ms[t] *= 1.8;
  }
}
