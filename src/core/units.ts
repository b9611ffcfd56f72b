// Scores in units of the levels of the model that scored them. A retrained model scores on a scale of its own (on
// flink-lab a failover's retraining moved the opening level from 0.27 to 2.2, and the next one to 6.4), so raw scores of
// two models do not compare: a yardstick taken before a retraining (what a failover's hold scored) and a run scored
// after it (src/inspect/outgrow.ts) would compare scales, not behaviour. In units of its model's levels as the model
// began scoring the machine, a score reads the same for every model: 0 at the keep-open level, 1 at the opening level.

import { heldLevel } from './stats.js';

/** The product's persistence: an incident opens after this many consecutive points at or above the opening level —
 *  one noisy sample or a GC pause does not page (chosen on the development instances; docs/ccl.md "alarms"). The
 *  scores the store keeps for the heat map hold the same: each point the lowest units of its last PERSIST_POINTS. */
export const PERSIST_POINTS = 3;

/** How often Flink updates its rates — records in/out per second, busy, idle and back-pressured time per second
 *  (`View.UPDATE_INTERVAL_SECONDS` of flink-metrics-core: meters and timer gauges are views updated every 5 s). A
 *  scrape faster than that reads one update two or three times. */
export const FLINK_UPDATE_MS = 5_000;

/** The persistence at a scrape interval: PERSIST_POINTS points that hold PERSIST_POINTS different Flink readings —
 *  consecutive points spanning PERSIST_POINTS − 1 of Flink's updates, so one update read three times by a 2-s scrape
 *  (one noisy sample, or a GC pause's) does not open an incident alone. At the product's 10-s scrape (and any of
 *  5 s or more) that is PERSIST_POINTS; at flink-lab's 2 s it is 6 points; a non-positive or unknown interval keeps
 *  PERSIST_POINTS. */
export function persistPoints(intervalMs: number): number {
  if (!(Number.isFinite(intervalMs) && intervalMs > 0)) return PERSIST_POINTS;
  return Math.max(PERSIST_POINTS, Math.ceil(((PERSIST_POINTS - 1) * FLINK_UPDATE_MS) / intervalMs - 1e-6) + 1);
}

/** The level each of a machine's next points held (`heldLevel` over them and the points kept before them), NaN for a
 *  point without units (it is left out of the window); `kept`: the last k points with units, for the next call. The
 *  watcher's running form of what the heat map stores. */
export function holdNext(before: readonly number[], units: readonly number[], k = PERSIST_POINTS): { held: number[]; kept: number[] } {
  const all = before.concat(units.filter(Number.isFinite));
  const h = heldLevel(all, k, new Float64Array(all.length));
  let at = before.length;
  return { held: units.map((x) => (Number.isFinite(x) ? h[at++] : NaN)), kept: all.slice(-k) };
}

/** A machine's levels as a model began scoring it: [keep-open (low), opening (high)]. */
export type Unit = readonly [low: number, high: number];

/** The model-report key that keeps a machine's unit (one key per machine: reports merge key by key, so watchers
 *  that share a model and own different machines do not overwrite one another's). */
const UNIT_PREFIX = 'unit:';
export const unitKey = (machine: string): string => `${UNIT_PREFIX}${machine}`;

/** A machine's unit from a model's report (undefined: none recorded, as for models scored before units were kept). */
export function unitOf(report: Record<string, unknown> | undefined, machine: string): Unit | undefined {
  const u = report?.[unitKey(machine)];
  return Array.isArray(u) && u.length === 2 && u.every((x) => typeof x === 'number' && Number.isFinite(x)) ? [u[0], u[1]] : undefined;
}

/** A score in units of `u`: (score − low) / (high − low); with no hysteresis (high ≤ low) shifted by the opening level
 *  only; unchanged without a unit. Monotone in the score, so comparisons between one model's scores keep their order. */
export function inUnits(score: number, u: Unit | undefined): number {
  if (!u) return score;
  const [low, high] = u;
  return high > low ? (score - low) / (high - low) : score - high;
}

/** Every machine's unit a model report (JSON) kept, as [machine, unit]. */
export function keptUnits(report: string | Record<string, unknown>): [string, Unit][] {
  let r: unknown;
  try {
    r = typeof report === 'string' ? JSON.parse(report) : report;
  } catch {
    return [];
  }
  if (!r || typeof r !== 'object') return [];
  const out: [string, Unit][] = [];
  for (const k of Object.keys(r)) {
    if (!k.startsWith(UNIT_PREFIX)) continue;
    const machine = k.slice(UNIT_PREFIX.length);
    const u = unitOf(r as Record<string, unknown>, machine);
    if (u) out.push([machine, u]);
  }
  return out;
}
