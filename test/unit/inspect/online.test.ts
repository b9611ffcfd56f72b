import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { OnlineScorer } from '../../../src/inspect/online.js';
import { IncidentTracker } from '../../../src/inspect/incidents.js';
import type { Series } from '../../../src/core/series.js';

// A real (if simple) scoring function: max |x − 50| / 5 over channels at each timestamp.
const zscore = (s: Series): Float32Array => {
  const C = s.channels.length;
  const out = new Float32Array(s.timestamps.length);
  for (let t = 0; t < out.length; t++) for (let c = 0; c < C; c++) out[t] = Math.max(out[t], Math.abs(s.values[t * C + c] - 50) / 5);
  return out;
};

function machine(hot: boolean): { ts: number[]; vals: number[] } {
  const ts: number[] = [], vals: number[] = [];
  for (let i = 0; i < 200; i++) {
    ts.push(i * 10_000);
    const cpu = 50 + ((i * 7) % 5) - 2 + (hot && i >= 100 && i < 130 ? 40 : 0);
    vals.push(cpu, 50 + ((i * 3) % 4) - 2);
  }
  return { ts, vals };
}

describe('online scorer', () => {
  test('scores each new timestamp once, across overlapping batches', () => {
    const tr = new IncidentTracker({ resolveAfterMs: 60_000 });
    const sc = new OnlineScorer({ channels: ['cpu', 'heap'], window: 16, threshold: 3, score: zscore }, tr);
    const m = machine(true);
    const seen: number[] = [];
    for (let from = 0; from < 200; from += 25) {
      const lo = Math.max(0, from - 5); // overlap: re-delivered samples must be skipped
      seen.push(...sc.ingest('tm-1', m.ts.slice(lo, from + 25), m.vals.slice(lo * 2, (from + 25) * 2)).map((p) => p.t));
    }
    assert.deepEqual(seen, m.ts);
  });
  test('raises a typed, explained incident on the hot machine only, then resolves it', () => {
    const tr = new IncidentTracker({ resolveAfterMs: 60_000 });
    const sc = new OnlineScorer({ channels: ['cpu', 'heap'], window: 32, threshold: 3, score: zscore }, tr);
    const hot = machine(true), cold = machine(false);
    sc.ingest('tm-cold', cold.ts, cold.vals);
    sc.ingest('tm-hot', hot.ts, hot.vals);
    assert.equal(tr.incidents.length, 1);
    const inc = tr.incidents[0];
    assert.equal(inc.machine, 'tm-hot');
    assert.equal(inc.onset, 100 * 10_000);
    assert.equal(inc.lastSeen, 129 * 10_000);
    assert.equal(inc.type, 'sustained-high');
    assert.equal(sc.explanations.get(inc.id)![0].name, 'cpu');
    tr.tick(199 * 10_000);
    assert.equal(inc.state, 'resolved');
  });
});

describe('restart', () => {
  test('a restart mid-stream (state saved → new scorer restored) loses nothing and duplicates nothing', () => {
    const hot = machine(true);
    const ref = new OnlineScorer({ channels: ['cpu', 'heap'], window: 32, threshold: 3, score: zscore }, new IncidentTracker());
    const want = ref.ingest('tm', hot.ts, hot.vals);
    const tr = new IncidentTracker();
    const a = new OnlineScorer({ channels: ['cpu', 'heap'], window: 32, threshold: 3, score: zscore }, tr);
    const got = a.ingest('tm', hot.ts.slice(0, 115), hot.vals.slice(0, 230)); // stop inside the hotspot
    const saved = JSON.parse(JSON.stringify(a.saveState('tm')));
    const b = new OnlineScorer({ channels: ['cpu', 'heap'], window: 32, threshold: 3, score: zscore }, tr);
    // the window is rebuilt from the stored rows up to the saved cursor (here: what was delivered)
    b.restore('tm', saved, { timestamps: hot.ts.slice(0, 115), values: hot.vals.slice(0, 230) });
    assert.throws(() => b.restore('tm', saved, { timestamps: hot.ts.slice(0, 100), values: hot.vals.slice(0, 200) }), /not at the saved cursor/);
    got.push(...b.ingest('tm', hot.ts.slice(100), hot.vals.slice(200))); // re-delivery overlaps the stop point
    assert.deepEqual(got, want);
    assert.equal(tr.incidents.length, 1);
    assert.equal(tr.incidents[0].lastSeen, 129 * 10_000);
  });
});

describe('batched scrape', () => {
  test('ingestMany with a deep model gives the same points and incidents as ingest machine by machine', async () => {
    const { createDetector } = await import('../../../src/detectors/index.js');
    const { Rng } = await import('../../../src/tensor/index.js');
    const rng = new Rng(4);
    const C = 2, T = 160;
    const gen = (hot: boolean): { ts: Float64Array; v: Float32Array } => {
      const ts = Float64Array.from({ length: T }, (_, i) => 1.7e12 + i * 10_000);
      const v = new Float32Array(T * C);
      for (let i = 0; i < T; i++) for (let c = 0; c < C; c++) v[i * C + c] = Math.sin(i / 5 + c) + 0.1 * rng.normal() + (hot && i >= 100 && i < 130 ? 6 : 0);
      return { ts, v };
    };
    const data = [gen(false), gen(true), gen(false)];
    const det = createDetector('transformer-ae', { window: 16, stride: 4, epochs: 2, d: 8, heads: 2, maxTrainWindows: 64, batchSize: 16 });
    await det.fit({ name: 'h', timestamps: data[0].ts, channels: ['a', 'b'], values: data[0].v });
    const th = det.threshold;
    const trailing = (xs: Series[], last: number[]) => det.scoreTrailing(xs, last);
    const one = new OnlineScorer({ channels: ['a', 'b'], window: 16, threshold: th, scoreTrailing: trailing }, new IncidentTracker());
    const many = new OnlineScorer({ channels: ['a', 'b'], window: 16, threshold: th, scoreTrailing: trailing }, new IncidentTracker());
    const a: Record<string, number[]> = {}, b: Record<string, number[]> = {};
    for (let from = 0; from < T; from += 3) {
      const to = Math.min(T, from + 3);
      const items = data.map((d, m) => ({ machine: `tm-${m}`, timestamps: d.ts.subarray(from, to), values: d.v.subarray(from * C, to * C) }));
      for (const it of items) (a[it.machine] ??= []).push(...one.ingest(it.machine, it.timestamps, it.values).map((p) => p.score));
      for (const [m, pts] of many.ingestMany(items)) (b[m] ??= []).push(...pts.map((p) => p.score));
    }
    for (const m of Object.keys(a)) {
      assert.equal(a[m].length, b[m].length);
      a[m].forEach((s, i) => assert.ok(Math.abs(s - b[m][i]) <= 1e-4 * Math.max(1, Math.abs(s)), `${m}[${i}] ${s} vs ${b[m][i]}`));
    }
    const inc = (s: OnlineScorer) => (s as unknown as { tracker: IncidentTracker }).tracker.incidents.map((i) => `${i.machine} ${i.type} ${i.onset}`);
    assert.deepEqual(inc(many), inc(one));
    assert.ok(inc(one).some((x) => x.startsWith('tm-1')), 'the hot machine raised an incident');
  });
});

describe('an incident detected in pieces', () => {
  test('is typed on all its segments against the baseline from before it began (a slow rise stays a trend)', () => {
    const N = 320;
    const ts = Float64Array.from({ length: N }, (_, i) => 1.7e12 + i * 10_000);
    // flat, a ramp, and the top of the ramp levelling off: that last piece alone looks like a sustained high level
    const v = Float32Array.from({ length: N }, (_, i) => 50 + ((i * 7) % 5) * 0.4 + Math.min(Math.max(i - 120, 0), 140) * 0.6);
    // the detector sees the ramp only from 50 above, and loses it for a few points in the middle
    const flagged = (i: number): boolean => v[i] > 75 && !(i >= 250 && i < 256);
    const score = (s: Series): Float32Array => Float32Array.from(s.timestamps, (t) => (flagged(Math.round((t - 1.7e12) / 10_000)) ? 5 : 0));
    const tracker = new IncidentTracker();
    const sc = new OnlineScorer({ channels: ['latency_ms'], window: 64, threshold: 3, score }, tracker);
    for (let i = 0; i < N; i += 5) sc.ingest('tm-1', ts.subarray(i, i + 5), v.subarray(i, i + 5));
    assert.equal(tracker.incidents.length, 1, 'the two segments are one incident');
    assert.equal(tracker.incidents[0].segments, 2);
    assert.equal(tracker.incidents[0].type, 'trend');
  });
});

describe('alarm levels in the scorer', () => {
  const ts = (n: number) => Float64Array.from({ length: n }, (_, i) => 1.7e12 + i * 10_000);
  /** A scorer whose score is the value itself. */
  const run = (vals: number[], cfg: Partial<ConstructorParameters<typeof OnlineScorer>[0]>, tracker = new IncidentTracker({ mergeGapMs: 60_000, resolveAfterMs: 60_000 })) => {
    const sc = new OnlineScorer({ channels: ['x'], window: 8, score: (s: Series) => Float32Array.from(s.values), ...cfg }, tracker);
    const t = ts(vals.length);
    for (let i = 0; i < vals.length; i += 4) sc.ingest('tm', t.subarray(i, i + 4), Float32Array.from(vals.slice(i, i + 4)));
    tracker.tick(t[t.length - 1]);
    return tracker.incidents;
  };
  // high 10 for 10 points, a 20-point dip to 6 (below high 8, above low 4), high again, then quiet
  const episode = [...Array(10).fill(0), ...Array(10).fill(10), ...Array(20).fill(6), ...Array(10).fill(10), ...Array(30).fill(0)];
  test('hysteresis: a dip above the low level stays one incident; without it the episode splits', async () => {
    const { FixedLevels } = await import('../../../src/inspect/levels.js');
    const one = run(episode, { levels: new FixedLevels(8, 'test', 0) }); // low = 4
    assert.equal(one.length, 1);
    assert.equal(one[0].lastSeen, 1.7e12 + 49 * 10_000);
    const two = run(episode, { levels: new FixedLevels(8, 'test') }); // low = high
    assert.equal(two.length, 2);
  });
  test('sustained: a run at or above the low level for sustainPoints opens an incident that never reached the high level', async () => {
    const { FixedLevels } = await import('../../../src/inspect/levels.js');
    const plateau = [...Array(10).fill(0), ...Array(15).fill(6), ...Array(20).fill(0)]; // 6: below high 8, above low 4
    const cfg = { levels: new FixedLevels(8, 'test', 0), minPoints: 2, candidateGap: 0 };
    assert.equal(run(plateau, cfg).length, 0, 'off by default: never at the opening level, no incident');
    const inc = run(plateau, { ...cfg, sustainPoints: 12 });
    assert.equal(inc.length, 1);
    assert.equal(inc[0].onset, 1.7e12 + 10 * 10_000, 'onset where the run began');
    assert.equal(inc[0].lastSeen, 1.7e12 + 24 * 10_000);
    assert.equal(run(plateau, { ...cfg, sustainPoints: 16 }).length, 0, 'a shorter run does not');
    const broken = [...Array(10).fill(0), ...Array(8).fill(6), 0, ...Array(8).fill(6), ...Array(20).fill(0)];
    assert.equal(run(broken, { ...cfg, sustainPoints: 12 }).length, 0, 'a point below the low level restarts the count');
    assert.equal(run(plateau, { threshold: 8, minPoints: 2, candidateGap: 0, sustainPoints: 12 }).length, 0, 'without hysteresis (low = high) it changes nothing');
    const spiky = [...Array(10).fill(0), 10, 6, 10, 6, 10, ...Array(20).fill(0)];
    assert.equal(run(spiky, { ...cfg, sustainPoints: 100 }).length, 0, 'persistence still needs consecutive points at the opening level');
  });
  test('the incident keeps where its latest run that could page it after a hold began, and the point that opened it', async () => {
    const { FixedLevels } = await import('../../../src/inspect/levels.js');
    const t = (i: number) => 1.7e12 + i * 10_000;
    // three at the opening level (10-12), a dip above the low level, then single high points (never three in a row)
    const vals = [...Array(10).fill(0), 10, 10, 10, 6, 10, 6, 10, 6, ...Array(30).fill(0)];
    const [a] = run(vals, { levels: new FixedLevels(8, 'test', 0), minPoints: 3, candidateGap: 0 });
    assert.equal(a.openedAt, t(12), 'opened at the third consecutive point');
    // without a sustained rule the persistence run is the strongest rule there is
    assert.equal(a.sustainedFrom, t(10), 'isolated high points later do not move it');
    assert.equal(a.lastHigh, t(16));
    const again = [...vals.slice(0, 18), 10, 10, 10, ...Array(30).fill(0)];
    assert.equal(run(again, { levels: new FixedLevels(8, 'test', 0), minPoints: 3, candidateGap: 0 })[0].sustainedFrom, t(18), 'a new run of three moves it');
    // with the sustained rule on, its run at the low level is what counts
    const plateau = [...Array(10).fill(0), 10, 10, 10, ...Array(14).fill(6), ...Array(30).fill(0)];
    const [p] = run(plateau, { levels: new FixedLevels(8, 'test', 0), minPoints: 3, candidateGap: 0, sustainPoints: 12 });
    assert.equal(p.sustainedFrom, t(26 - 11), 'the start of the last 12 points at or above the low level');
    assert.equal(p.sustainedSince, t(10), 'the window slid along the run; where the run began stays');
    const dipped = [...plateau.slice(0, 20), 0, ...Array(13).fill(6), ...Array(30).fill(0)];
    const [d] = run(dipped, { levels: new FixedLevels(8, 'test', 0), minPoints: 3, candidateGap: 0, sustainPoints: 12, maxGap: 2 });
    assert.equal(d.sustainedSince, t(21), 'a point below the low level begins a new run');
    assert.equal(d.sustainedFrom, t(33 - 11));
    // and a later burst of three at the opening level, which joins the incident, does not move it
    const burst = [...plateau.slice(0, 27), 0, 10, 10, 10, ...Array(30).fill(0)];
    const [b] = run(burst, { levels: new FixedLevels(8, 'test', 0), minPoints: 3, candidateGap: 0, sustainPoints: 12 });
    assert.equal(b.lastHigh, t(30), 'the burst joined the incident');
    assert.equal(b.sustainedFrom, t(26 - 11));
    assert.equal(b.sustainedSince, t(10));
  });
  test('persistence: minPoints consecutive points (candidateGap 0) open an incident, interrupted runs do not', () => {
    const broken = [...Array(10).fill(0), 10, 10, 0, 10, 10, 0, 10, ...Array(20).fill(0)];
    assert.equal(run(broken, { threshold: 8, minPoints: 3, candidateGap: 0 }).length, 0);
    assert.equal(run(broken, { threshold: 8, minPoints: 3, candidateGap: 2 }).length, 1, 'a gap tolerance joins them');
    assert.equal(run([...Array(10).fill(0), 10, 10, 10, ...Array(20).fill(0)], { threshold: 8, minPoints: 3, candidateGap: 0 }).length, 1);
  });
  test('the peak on the alarm scale: in units of the levels each point was judged against, across a change of scale', async () => {
    const { FixedLevels } = await import('../../../src/inspect/levels.js');
    const [a] = run([...Array(10).fill(0), 10, 10, 16, 6, ...Array(30).fill(0)], { levels: new FixedLevels(8, 'test', 0), minPoints: 3, candidateGap: 0 });
    assert.equal(a.peak, 16);
    assert.equal(a.peakUnits, 3, '(16 − low 4) / (high 8 − low 4)');
    // a retrained model scores ten times as high, and its levels are ten times as high: the raw peak moves, the scale does not
    let scale = 1;
    const levels = { rule: 'test', high: () => 8 * scale, low: () => 4 * scale, observe: () => false, save: () => null, restore: () => undefined };
    const tracker = new IncidentTracker({ mergeGapMs: 60_000, resolveAfterMs: 60_000 });
    const sc = new OnlineScorer({ channels: ['x'], window: 8, score: (s: Series) => Float32Array.from(s.values), levels, minPoints: 3, candidateGap: 0 }, tracker);
    const t = ts(40);
    sc.ingest('tm', t.subarray(0, 14), Float32Array.from([...Array(10).fill(0), 10, 10, 16, 10]));
    scale = 10;
    sc.ingest('tm', t.subarray(14, 20), Float32Array.from(Array(6).fill(60))); // 0.5 on the scale: keeps it open
    const [b] = tracker.incidents;
    assert.equal(b.lastSeen, t[19], 'still open under the new levels');
    assert.equal(b.peak, 60, 'the raw peak compares two scales');
    assert.equal(b.peakUnits, 3, 'the peak on the alarm scale does not');
  });
  test('renewal: a later segment that meets an opening rule again is recorded once, where its run began', async () => {
    const { FixedLevels } = await import('../../../src/inspect/levels.js');
    const t = (i: number) => 1.7e12 + i * 10_000;
    const cfg = { levels: new FixedLevels(8, 'test', 0), minPoints: 3, candidateGap: 0, maxGap: 2 };
    // an episode (10-14), 4 quiet points (the segment closes), back at the opening level for 5 points (19-23) inside
    // the quiet period: one incident, renewed once at the third point of the new run
    const again = [...Array(10).fill(0), ...Array(5).fill(10), 0, 0, 0, 0, ...Array(5).fill(10), ...Array(30).fill(0)];
    const [a, extra] = run(again, cfg);
    assert.equal(extra, undefined, 'one incident');
    assert.equal(a.segments, 2);
    assert.deepEqual(a.renewals, [{ from: t(19), at: t(21), quietMs: 50_000 }], 'quiet from 15 to 18: 50 s since the last anomalous point');
    // the first segment never renews; nor a dip that does not close the segment (≤ maxGap points)
    const dip = [...Array(10).fill(0), ...Array(5).fill(10), 0, 0, ...Array(5).fill(10), ...Array(30).fill(0)];
    assert.equal(run(dip, cfg)[0].renewals, undefined);
    // back only at the keep-open level (5: ≥ low 4, < high 8): it continues, without renewing
    const low = [...Array(10).fill(0), ...Array(5).fill(10), 0, 0, 0, 0, ...Array(5).fill(5), ...Array(30).fill(0)];
    const [l] = run(low, cfg);
    assert.equal(l.segments, 2);
    assert.equal(l.renewals, undefined);
    // ... unless that run lasts as long as the sustained rule asks
    const [s] = run(low, { ...cfg, sustainPoints: 5 });
    assert.deepEqual(s.renewals, [{ from: t(19), at: t(23), quietMs: 50_000 }]);
    // two later segments, two renewals; past the quiet period a new incident opens instead
    const twice = [...again.slice(0, 24), 0, 0, 0, 0, 10, 10, 10, ...Array(30).fill(0)];
    assert.deepEqual(run(twice, cfg)[0].renewals?.map((r) => r.from), [t(19), t(28)]);
    const late = [...Array(10).fill(0), ...Array(5).fill(10), ...Array(8).fill(0), ...Array(5).fill(10), ...Array(30).fill(0)];
    const split = run(late, cfg); // the quiet period is 6 points (60 s)
    assert.equal(split.length, 2);
    assert.ok(split.every((i) => i.renewals === undefined));
  });
  test('renewal inside a segment: after a dip below the opening level of at least the persistence, a run led by another metric', async () => {
    const { FixedLevels } = await import('../../../src/inspect/levels.js');
    const t = (i: number) => 1.7e12 + i * 10_000;
    const cfg = { levels: new FixedLevels(8, 'test', 0), minPoints: 3, candidateGap: 0, maxGap: 2 }; // low = 4
    // two metrics; the score is the larger; a quiet baseline (0 / 1) for the explanation
    const make = (tracker: IncidentTracker) => new OnlineScorer({ channels: ['cpu', 'lag'], window: 8, ...cfg, score: (s: Series) => Float32Array.from(s.timestamps, (_, i) => Math.max(s.values[2 * i], s.values[2 * i + 1])) }, tracker);
    const two = (rows: [number, number][]) => {
      const tracker = new IncidentTracker({ mergeGapMs: 60_000, resolveAfterMs: 60_000 });
      const sc = make(tracker);
      const all: [number, number][] = [...Array.from({ length: 10 }, (_, i): [number, number] => [i % 2, (i + 1) % 2]), ...rows, ...Array(30).fill([0, 0])];
      const ts = Float64Array.from(all, (_, i) => t(i));
      for (let i = 0; i < all.length; i += 4) sc.ingest('tm', ts.subarray(i, i + 4), Float32Array.from(all.slice(i, i + 4).flat()));
      tracker.tick(ts[ts.length - 1]);
      return tracker.incidents;
    };
    const cpu = (n: number, v = 10): [number, number][] => Array(n).fill([v, 0]);
    const lag = (n: number, v = 10): [number, number][] => Array(n).fill([0, v]);
    // cpu hot (10-14), three points at the keep-open level (15-17: the segment stays open), then lag hot (18-22): one
    // segment, renewed where the lag run began, at its third point
    const [a, extra] = two([...cpu(5), ...cpu(3, 5), ...lag(5)]);
    assert.equal(extra, undefined, 'one incident');
    assert.equal(a.segments, 1);
    assert.deepEqual(a.renewals, [{ from: t(18), at: t(20), dipMs: 30_000, lead: 'lag', leadBefore: 'cpu' }]);
    // the same metric rising again is the same episode: no renewal
    assert.equal(two([...cpu(5), ...cpu(3, 5), ...cpu(5)])[0].renewals, undefined);
    // a dip shorter than the persistence does not renew; one whose points lie below the keep-open level (≤ maxGap of
    // them: the segment stays open) counts like one above it; a run of two is no rise
    assert.equal(two([...cpu(5), ...cpu(2, 5), ...lag(5)])[0].renewals, undefined);
    const [m] = two([...cpu(5), [0, 0], [5, 0], [0, 0], ...lag(5)]);
    assert.equal(m.segments, 1);
    assert.deepEqual(m.renewals?.map((r) => [r.from, r.dipMs]), [[t(18), 30_000]]);
    assert.equal(two([...cpu(5), ...cpu(3, 5), ...lag(2), ...cpu(3, 5)])[0].renewals, undefined);
    // a long run renews once; two dips, each followed by another metric, two renewals
    const [w] = two([...cpu(5), ...cpu(3, 5), ...lag(5), ...lag(4, 5), ...cpu(6)]);
    assert.deepEqual(w.renewals?.map((r) => [r.from, r.dipMs, r.lead]), [[t(18), 30_000, 'lag'], [t(27), 40_000, 'cpu']]);
    // a restart inside the dip keeps it (the segment's state is saved with the dip and what led before it)
    const rows: [number, number][] = [...Array.from({ length: 10 }, (_, i): [number, number] => [i % 2, (i + 1) % 2]), ...cpu(5), ...cpu(3, 5), ...lag(5), ...Array(30).fill([0, 0])];
    const ts = Float64Array.from(rows, (_, i) => t(i));
    const vals = Float32Array.from(rows.flat());
    const tracker = new IncidentTracker({ mergeGapMs: 60_000, resolveAfterMs: 60_000 });
    const first = make(tracker);
    first.ingest('tm', ts.subarray(0, 17), vals.subarray(0, 34));
    const saved = JSON.parse(JSON.stringify(first.saveState('tm')));
    const second = make(tracker);
    second.restore('tm', saved, { timestamps: ts.subarray(0, 17), values: vals.subarray(0, 34) });
    second.ingest('tm', ts.subarray(17), vals.subarray(34));
    tracker.tick(ts[ts.length - 1]);
    assert.deepEqual(tracker.incidents[0].renewals, [{ from: t(18), at: t(20), dipMs: 30_000, lead: 'lag', leadBefore: 'cpu' }]);
  });
  test('back above the low level within the quiet period continues the incident; the levels learn only from normal points', async () => {
    const { FixedLevels } = await import('../../../src/inspect/levels.js');
    const seen: number[] = [];
    const levels = new FixedLevels(8, 'test', 0);
    levels.observe = (_m: string, s: number) => (seen.push(s), false);
    const resumed = [...Array(10).fill(0), ...Array(5).fill(10), 0, 0, 0, 0, 5, 5, ...Array(20).fill(0)];
    const inc = run(resumed, { levels, maxGap: 2 });
    assert.equal(inc.length, 1);
    assert.equal(inc[0].lastSeen, 1.7e12 + 20 * 10_000, 'the points at 5 (≥ low 4) extended it');
    assert.ok(seen.every((s) => s === 0) && seen.length === 10 + 20 - 6, `observed ${seen.length} normal points`);
  });
});
