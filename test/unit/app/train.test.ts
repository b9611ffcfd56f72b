// Training's threshold calibration: the held-out tail calibrates, unless a fault covers most of it — then the fit
// part's in-sample scores do (flink-lab s201: a slow sink back-pressured every TaskManager through the whole tail).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { calibrationGuard, incidentPeriods, trainModel } from '../../../src/app/train.js';
import { SqliteStore } from '../../../src/store/sqlite.js';
import type { Incident, IncidentDetail } from '../../../src/core/incident.js';
import { persistOf, sustainPoints } from '../../../src/app/watch.js';
import { madThreshold } from '../../../src/eval/index.js';
import type { Series } from '../../../src/core/series.js';

const mad8 = (s: Float32Array): number => madThreshold(s, 8);
const noise = (n: number, level: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => level + ((i * 7919 + seed) % 13) / 13);

describe('calibration guard', () => {
  it('keeps a healthy tail, and one with a short fault inside (the median rule shrugs it off)', () => {
    const fit = noise(400, 1, 1);
    assert.equal(calibrationGuard(noise(100, 1.2, 2), fit, mad8).contaminated, false);
    const tail = noise(100, 1.2, 3);
    tail.fill(500, 0, 30);
    const g = calibrationGuard(tail, fit, mad8);
    assert.equal(g.contaminated, false);
    assert.equal(g.scores, tail);
  });
  it('takes the fit part when the tail is mostly one fault', () => {
    const fit = noise(400, 1, 1);
    const tail = noise(100, 1, 4);
    tail.fill(800, 10, 90);
    const g = calibrationGuard(tail, fit, mad8);
    assert.equal(g.contaminated, true);
    assert.equal(g.scores, fit);
    assert.ok(mad8(g.scores) < 10 && mad8(tail) > 500, 'the threshold of the tail lies above the fault itself');
  });
  it('too few fit scores to judge: the tail as it is', () => {
    assert.equal(calibrationGuard(Float32Array.of(900, 900, 900), Float32Array.of(1, 1), mad8).contaminated, false);
  });
});

describe('trainModel threshold', () => {
  const T = 500;
  const history = (faultFrom: number): Series => {
    const values = new Float32Array(T * 2);
    for (let t = 0; t < T; t++) {
      const f = t >= faultFrom ? 40 : 0;
      values[2 * t] = 10 + Math.sin(t / 5) + ((t * 31) % 7) * 0.1 + f;
      values[2 * t + 1] = 50 + Math.cos(t / 3) + ((t * 17) % 5) * 0.2 + f;
    }
    return { name: 'tm-1', timestamps: Float64Array.from({ length: T }, (_, t) => 1.7e12 + t * 10_000), channels: ['busy', 'lat'], values };
  };
  it('a fault through the calibration tail does not lift the threshold above it', async () => {
    const clean = await trainModel({ history: [history(T)], kind: 'zscore' });
    const dirty = await trainModel({ history: [history(T - 90)], kind: 'zscore' }); // the tail is the last 100 rows
    assert.equal(clean.detector.thresholdRule, 'mad:8');
    assert.match(dirty.detector.thresholdRule, /fit part/);
    const faultScore = Math.min(...dirty.machineScores[0].subarray(20));
    assert.ok(dirty.detector.threshold < faultScore, `threshold ${dirty.detector.threshold} below the fault's scores (${faultScore})`);
  });
});

describe('the sustained rule in the model\'s points', () => {
  it('the quiet period by default, counted in the training sampling interval; 0 turns it off', async () => {
    const series: Series = { name: 'tm-1', timestamps: Float64Array.from({ length: 200 }, (_, t) => 1.7e12 + t * 10_000), channels: ['x'], values: Float32Array.from({ length: 200 }, (_, t) => Math.sin(t / 4)) };
    const { detector } = await trainModel({ history: [series], kind: 'zscore' });
    assert.equal(sustainPoints(detector, {}), 60, '10 min of 10-s points');
    assert.equal(sustainPoints(detector, { resolveAfterMs: 120_000 }), 12);
    assert.equal(sustainPoints(detector, { sustainMs: 0 }), 0);
    assert.throws(() => sustainPoints(detector, { sustainMs: -1 }), /sustainMs/);
  });
});

describe('the persistence a model is trained and watched for', () => {
  const series = (stepMs: number): Series => ({ name: 'tm-1', timestamps: Float64Array.from({ length: 300 }, (_, t) => 1.7e12 + t * stepMs), channels: ['x'], values: Float32Array.from({ length: 300 }, (_, t) => Math.sin(t / 4) + ((t * 7919) % 13) / 26) });
  it('is the history\'s scrape interval\'s (3 points at 10 s, 6 at 2 s) unless told, and the watcher reads it back', async () => {
    const at10 = await trainModel({ history: [series(10_000)], kind: 'zscore' });
    const at2 = await trainModel({ history: [series(2_000)], kind: 'zscore' });
    const told = await trainModel({ history: [series(2_000)], kind: 'zscore', minPoints: 4 });
    const facts = (d: typeof at2.detector) => (d.machineFacts as Record<string, { persist: number }>)['tm-1'].persist;
    assert.deepEqual([facts(at10.detector), facts(at2.detector), facts(told.detector)], [3, 6, 4]);
    assert.deepEqual([persistOf(at10.detector), persistOf(at2.detector), persistOf(told.detector)], [3, 6, 4]);
    // the budget's tail is the statistic of that persistence: the lowest of the last 6 points is lower than of the last 3
    const tail = (d: typeof at2.detector) => (d.machineFacts as Record<string, { top: number[] }>)['tm-1'].top[0];
    const at2as3 = await trainModel({ history: [series(2_000)], kind: 'zscore', minPoints: 3 });
    assert.ok(tail(at2.detector) < tail(at2as3.detector), `${tail(at2.detector)} < ${tail(at2as3.detector)}`);
  });
  it('a model that recorded none is watched with PERSIST_POINTS', async () => {
    const { detector } = await trainModel({ history: [series(2_000)], kind: 'zscore' });
    detector.setMachineFacts({});
    assert.equal(persistOf(detector), 3);
  });
});

describe('what retraining leaves out of the history', () => {
  it("incident periods, unless the operator said 'false-alarm' or 'expected', or the product showed it as an event's after-effect (behaviours the next model should know)", async () => {
    const store = new SqliteStore(':memory:');
    const detail: IncidentDetail = { explanation: [], jobs: [], movers: [], cause: null, events: [], paged: true };
    const inc = (id: string, onset: number): Incident & IncidentDetail => ({ id, machine: 'tm-1', state: 'resolved', type: 'level-shift', onset, lastSeen: onset + 10, resolvedAt: onset + 20, peak: 5, segments: 1, ...detail });
    // an event's after-effect (held, never paged), one the operator called a hotspot, and a symptom of another machine
    const after = (id: string, onset: number): Incident & IncidentDetail => ({ ...inc(id, onset), paged: false, afterEffectOf: 'ev-1' });
    const symptom = { ...inc('inc-8', 800), paged: false, symptomOf: 'inc-9' };
    await store.commitStep({ scores: [], modelId: null, scorerStates: [], incidents: [inc('inc-1', 100), inc('inc-2', 200), inc('inc-3', 300), inc('inc-4', 400), after('inc-5', 500), after('inc-6', 600), symptom], alerts: [], status: [], meta: {} });
    await store.label('inc-1', 'hotspot', 'ann', '', 1);
    await store.label('inc-2', 'false-alarm', 'ann', '', 1);
    await store.label('inc-3', 'expected', 'ann', 'failover moved subtasks', 1);
    await store.label('inc-6', 'hotspot', 'ann', 'it was not the failover', 1);
    const periods = await incidentPeriods(store, 0, 1000);
    assert.deepEqual([...periods.get('tm-1')!].sort((a, b) => a[0] - b[0]), [[100, 120], [400, 420], [600, 620], [800, 820]], 'the hotspots, the unlabelled incident and the symptom; the unlabelled after-effect stays in');
    await store.close();
  });
});
