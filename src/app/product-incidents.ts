// The product's incident logic as the eval runner's seam (src/eval/runner.ts IncidentsOf): a series' test scores
// fed through the online scorer's segment logic and the incident tracker as the watcher runs them — an incident opens
// after the persistence's consecutive points at or above the threshold (persistPoints of the series' scrape interval:
// 3 at 10 s or slower), joins and resolves after the quiet period, and
// notifies again when it renews (every renewal after its page: there are no events here). The
// seam passes only the threshold, so no keep-open level (hysteresis needs the calibration scores' median); the replay
// (src/app/replay.ts) judges the full product path.
import type { DatasetItem } from '../data/index.js';
import type { IncidentSpan } from '../eval/index.js';
import { IncidentTracker } from '../inspect/incidents.js';
import { OnlineScorer } from '../inspect/online.js';
import { persistPoints } from '../inspect/levels.js';
import { medianStep } from '../core/series.js';
import { updatesOf } from './enrich.js';

export function productIncidentsOf(o: { quietMs?: number; minPoints?: number } = {}): (item: DatasetItem, scores: Float32Array, threshold: number) => IncidentSpan[] {
  return (item, scores, threshold) => {
    const ts = item.test.timestamps;
    if (scores.length !== ts.length) throw new RangeError(`${item.series}: ${scores.length} scores for ${ts.length} test points`);
    const at = new Map<number, number>();
    ts.forEach((t, i) => at.set(t, scores[i]));
    const tracker = new IncidentTracker({ resolveAfterMs: o.quietMs ?? 600_000, mergeGapMs: o.quietMs ?? 600_000 });
    const C = item.test.channels.length;
    // the precomputed scores stand in for the detector (looked up by timestamp)
    const sc = new OnlineScorer({
      channels: item.test.channels, window: 16, threshold: Number.isFinite(threshold) ? threshold : Number.MAX_VALUE, minPoints: o.minPoints ?? persistPoints(medianStep(ts, 10_000)), candidateGap: 0,
      score: (s) => Float32Array.from(s.timestamps, (t) => at.get(t) ?? 0),
    }, tracker);
    const values = Float32Array.from(item.test.values, (v) => (Number.isFinite(v) ? v : 0));
    for (let i = 0; i < ts.length; i += 16) sc.ingest(item.series, ts.subarray(i, i + 16), values.subarray(i * C, Math.min(ts.length, i + 16) * C));
    return tracker.incidents.map((i) => {
      const updates = updatesOf(i, [], 0, i.openedAt ?? i.onset, o.quietMs ?? 600_000); // no events here
      return { machine: item.series, onset: i.onset, end: i.lastSeen, paged: true, ...(i.openedAt !== undefined ? { pagedAt: i.openedAt } : {}), ...(updates.length ? { updates } : {}) };
    });
  };
}
