// Time to breach: a robust line through the leading metric's recent points, and the online scorer's estimate on a
// rising incident.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { leadingMetric, parseSlo, theilSen, timeToBreach } from '../../../src/inspect/breach.js';
import { OnlineScorer } from '../../../src/inspect/online.js';
import { IncidentTracker } from '../../../src/inspect/incidents.js';
import type { Series } from '../../../src/core/series.js';

describe('time to breach', () => {
  it('Theil–Sen ignores a wild point that would tilt least squares', () => {
    const t = Array.from({ length: 20 }, (_, i) => i);
    const y = t.map((i) => 2 * i + 1);
    y[19] = -500; // a GC pause or a bad sample
    const f = theilSen(t, y);
    assert.ok(Math.abs(f.slope - 2) < 1e-9 && Math.abs(f.intercept - 1) < 1e-9, JSON.stringify(f));
  });
  it('breach = (limit − level now) / slope; null when not rising; 0 when already past', () => {
    const ts = Array.from({ length: 10 }, (_, i) => i * 60_000);
    const b = timeToBreach('latency_ms', ts, ts.map((t) => 100 + t / 60_000 * 10), 300, 9 * 60_000)!;
    assert.ok(Math.abs(b.level - 190) < 1e-6 && Math.abs(b.slopePerMin - 10) < 1e-9);
    assert.ok(Math.abs(b.inMs - 11 * 60_000) < 1e-3 && b.at === 20 * 60_000);
    assert.equal(timeToBreach('x', ts, ts.map(() => 5), 300, 9 * 60_000), null);
    assert.equal(timeToBreach('x', ts, ts.map((t) => 400 + t), 300, 9 * 60_000)!.inMs, 0);
  });
  it('picks the highest-share rising metric that has a limit, and parses --slo', () => {
    const ex = [{ name: 'gc', share: 0.5, meanZ: 3 }, { name: 'lat', share: 0.3, meanZ: -1 }, { name: 'lag', share: 0.2, meanZ: 2 }];
    assert.equal(leadingMetric(ex, { lat: 1, lag: 2 }), 'lag');
    assert.equal(leadingMetric(ex, { cpu: 1 }), null);
    assert.deepEqual(parseSlo(['latency_ms=500', 'kafka_lag = 1e5']), { latency_ms: 500, kafka_lag: 100000 });
    assert.throws(() => parseSlo(['latency_ms>500']), /metric=limit/);
    assert.throws(() => parseSlo(['a=1', 'a=2']), /twice/);
  });
  it('a rising incident carries an estimate that shrinks as the metric climbs towards the limit', () => {
    const N = 200;
    const ts = Float64Array.from({ length: N }, (_, i) => 1.7e12 + i * 60_000);
    const v = Float32Array.from({ length: N }, (_, i) => 100 + (i % 3) + (i >= 100 ? (i - 100) * 5 : 0)); // rises 5 ms/min from 100
    const score = (s: Series): Float32Array => Float32Array.from(s.values, (x) => (x > 120 ? 10 : 0));
    const sc = new OnlineScorer({ channels: ['latency_ms'], window: 32, threshold: 5, score, slo: { latency_ms: 800 }, breachPoints: 10 }, new IncidentTracker());
    const seen: number[] = [];
    for (let i = 0; i < 180; i += 5) {
      sc.ingest('tm', ts.subarray(i, i + 5), v.subarray(i, i + 5));
      const b = [...sc.breaches.values()][0];
      if (b) seen.push(b.inMs);
    }
    assert.ok(seen.length > 5, 'estimates while the incident is open');
    assert.ok(seen.every((x, k) => k === 0 || x <= seen[k - 1] + 1e-6), 'the estimate shrinks');
    const last = [...sc.breaches.values()][0];
    // at the last point (i = 179) the metric is ≈ 100 + 79·5 = 495: 800 in ≈ 61 min at 5 ms/min
    assert.ok(Math.abs(last.inMs / 60_000 - 61) < 3, `${(last.inMs / 60_000).toFixed(1)} min`);
    assert.ok(last.firstWarnedAt < ts[179]);
  });
});
