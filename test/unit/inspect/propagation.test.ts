// Back-pressure propagation: the back-pressured machine's incident names the busy machine downstream in a shared job —
// as a pure rule (end to end through the watcher: test/unit/app/watch.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backpressureCause, jobMetricOwn, jobWideShare, jobWideSymptomOf, ledByJob, operatorBottleneck, seriesActivity, symptomOf, type Activity, type OperatorSample } from '../../../src/inspect/propagation.js';
import type { Incident } from '../../../src/core/incident.js';

const inc = (machine: string, onset: number, lastSeen: number, type: Incident['type'] = 'backpressure'): Incident => ({ id: `i-${machine}`, machine, state: 'open', type, onset, lastSeen, peak: 5, segments: 1 });

describe('back-pressure cause', () => {
  const jobs: Record<string, string[]> = { up: ['orders'], down: ['orders', 'clicks'], busyElsewhere: ['clicks'], alsoWaiting: ['orders'] };
  const act: Record<string, Activity> = {
    down: { busy: 950, backpressured: 10 }, busyElsewhere: { busy: 990, backpressured: 0 }, alsoWaiting: { busy: 100, backpressured: 700 }, up: { busy: 80, backpressured: 800 },
  };
  const input = (incidents: Incident[]) => ({ jobsOn: (m: string) => jobs[m] ?? [], machines: Object.keys(jobs), activity: (m: string) => act[m] ?? null, incidents });

  it('names the busiest machine that shares a job and is not itself back-pressured', () => {
    const c = backpressureCause(inc('up', 0, 100), input([]));
    assert.deepEqual(c, { machine: 'down', busy: 950, jobs: ['orders'], anomalous: false });
  });
  it('a quiet peer counts only when it had its own incident at the same time; no shared job, no cause', () => {
    act.down = { busy: 300, backpressured: 0 };
    assert.equal(backpressureCause(inc('up', 0, 100), input([])), null, '300 ms/s busy and no incident: not the cause');
    assert.equal(backpressureCause(inc('up', 0, 100), input([inc('down', 50, 150, 'sustained-high')]))?.machine, 'down');
    assert.equal(backpressureCause(inc('loner', 0, 100), input([])), null);
    act.down = { busy: 950, backpressured: 10 };
  });
  it('reads busy / back-pressured means from a series in a time range', () => {
    const s = { name: 'm', timestamps: Float64Array.of(0, 1, 2, 3), channels: ['busy_ms_per_s', 'backpressured_ms_per_s'], values: Float32Array.of(100, 0, 200, 10, NaN, 20, 900, 30) };
    assert.deepEqual(seriesActivity(s, 0, 2), { busy: 150, backpressured: 10 });
    assert.equal(seriesActivity({ ...s, channels: ['cpu', 'x'] }, 0, 3), null);
  });
});

describe('bottleneck from per-operator samples (no job graph stored)', () => {
  // tm-2 hosts the slow sink AND the source it holds up: machine-level back-pressure (a max over its operators) is
  // high there, so the placement heuristic passes it over; per operator the sink is busy and not back-pressured.
  const op = (machine: string, operator: string, metric: string, ...values: number[]): OperatorSample[] => values.map((value) => ({ machine, job: 'enrich', operator, metric, value }));
  const samples: OperatorSample[] = [
    ...op('tm-1', 'Source: clicks', 'backpressured_ms_per_s', 30, 50), // no busy time: a source (Flink reports NaN)
    ...op('tm-1', 'join', 'busy_ms_per_s', 100, 110), ...op('tm-1', 'join', 'backpressured_ms_per_s', 0, 0),
    ...op('tm-1', 'Sink: out', 'busy_ms_per_s', 30, 20), ...op('tm-1', 'Sink: out', 'backpressured_ms_per_s', 0, 0),
    ...op('tm-2', 'Source: clicks', 'backpressured_ms_per_s', 400, 600),
    ...op('tm-2', 'join', 'busy_ms_per_s', 60, 70), ...op('tm-2', 'join', 'backpressured_ms_per_s', 900, 950),
    ...op('tm-2', 'Sink: out', 'busy_ms_per_s', 980, 1000), ...op('tm-2', 'Sink: out', 'backpressured_ms_per_s', 0, 0),
  ];
  it('names the busy, not back-pressured operator of the jobs the machine waits in — on another machine', () => {
    assert.deepEqual(operatorBottleneck('tm-1', samples), { machine: 'tm-2', job: 'enrich', operator: 'Sink: out', busy: 990 });
    const mBp = backpressureCause(inc('tm-1', 0, 1), { jobsOn: () => ['enrich'], machines: ['tm-1', 'tm-2'], activity: (m) => (m === 'tm-2' ? { busy: 990, backpressured: 950 } : null), incidents: [] });
    assert.equal(mBp, null, 'the machine-level heuristic cannot see it (why the per-operator rule exists)');
  });
  it('on the machine itself when its own operator is the bottleneck', () => {
    assert.equal(operatorBottleneck('tm-2', samples)?.machine, 'tm-2');
  });
  it('a wait of 2 % of the time (a symptom at its onset) counts; below it, or no back-pressure sample, nothing to read', () => {
    const calm = samples.map((s) => (s.machine === 'tm-1' && s.metric === 'backpressured_ms_per_s' && s.operator.startsWith('Source') ? { ...s, value: 10 } : s));
    assert.equal(operatorBottleneck('tm-1', calm), undefined, '10 ms/s: not waiting');
    assert.equal(operatorBottleneck('tm-3', samples), undefined, 'no samples of the machine');
    assert.equal(operatorBottleneck('tm-1', samples.filter((s) => !(s.machine === 'tm-2' && s.operator === 'Sink: out'))), null, 'waiting, but no operator is busy');
  });
  it('a wait that began late in the incident counts once one reading reaches 10 % (diluted below 2 % in the mean)', () => {
    // tm-1's source waits only in the last 3 of 24 readings since the onset (s207: 0 … 0, 21, 104, 188 ms/s)
    const late = (last: number): OperatorSample[] => [
      ...samples.filter((s) => !(s.machine === 'tm-1' && s.operator.startsWith('Source'))),
      ...op('tm-1', 'Source: clicks', 'backpressured_ms_per_s', ...new Array<number>(21).fill(0), 21, 54, last),
    ];
    assert.equal(operatorBottleneck('tm-1', late(188))?.machine, 'tm-2', 'mean 11.0 ms/s, one reading at 188');
    assert.equal(operatorBottleneck('tm-1', late(99)), undefined, 'no reading at 10 %, mean 7.3 ms/s: not waiting');
    assert.equal(operatorBottleneck('tm-1', late(188), { pressedPeak: 0.2 }), undefined, 'the level is a parameter');
  });
  it('fractions (0–1) as well as ms/s', () => {
    const frac = samples.map((s) => ({ ...s, value: s.value / 1000 }));
    assert.equal(operatorBottleneck('tm-1', frac)?.operator, 'Sink: out');
  });
});

describe('symptom of another incident', () => {
  const cause = (machine: string) => ({ machine, busy: 990, jobs: ['enrich'], anomalous: true });
  const host = { ...inc('tm-2', 0, 200, 'level-shift'), id: 'host' };
  it('is the open incident on the cause\'s machine, when the cause is elsewhere', () => {
    const a = inc('tm-1', 100, 150);
    assert.equal(symptomOf(a, cause('tm-2'), [host, a], () => false), 'host');
    assert.equal(symptomOf(a, cause('tm-1'), [host, a], () => false), null, 'the cause on the machine itself: its own hotspot');
    assert.equal(symptomOf(a, cause('tm-2'), [a], () => false), null, 'no incident on the cause\'s machine: it pages');
    assert.equal(symptomOf(a, null, [host, a], () => false), null);
  });
  it('not of an incident resolved before it began, nor of another symptom', () => {
    const a = inc('tm-1', 300, 350);
    assert.equal(symptomOf(a, cause('tm-2'), [{ ...host, state: 'resolved', resolvedAt: 250 }, a], () => false), null);
    assert.equal(symptomOf(inc('tm-1', 100, 150), cause('tm-2'), [host], (id) => id === 'host'), null);
  });
});

describe('symptom of a hotspot elsewhere in the same job (job-wide metrics)', () => {
  // held-out-turned-development recording s206: a slow sink on tm-1 (incident led by its back-pressure and the job's
  // checkpoint duration) slowed the orders job's checkpoints and watermarks; tm-2, with no back-pressure, opened an
  // incident 52 s later led by checkpoint_ms (74 %) and watermark_lag_ms (21 %)
  const placement = new Map([['tm-1', ['orders', 'clicks']], ['tm-2', ['orders']], ['tm-3', ['clicks']], ['tm-4', ['audit']]]);
  const jobsOn = (m: string) => placement.get(m) ?? [];
  const jobLed = [{ name: 'checkpoint_ms', share: 0.74, meanZ: 482 }, { name: 'watermark_lag_ms', share: 0.21, meanZ: 139 }, { name: 'state_bytes', share: 0.05, meanZ: -11 }];
  const ownLed = [{ name: 'records_in_per_s', share: 0.6, meanZ: 9 }, { name: 'checkpoint_ms', share: 0.4, meanZ: 30 }];
  const host = { ...inc('tm-1', 100, 400), id: 'host' };
  const none = () => false;
  it('the share of the deviation in job-wide metrics', () => {
    assert.ok(Math.abs(jobWideShare(jobLed) - 0.95) < 1e-12);
    assert.equal(jobWideShare(ownLed), 0.4);
    assert.equal(jobWideShare([]), 0);
    assert.deepEqual([ledByJob(jobLed), ledByJob(ownLed), ledByJob(ownLed, 0.4), ledByJob([])], [true, false, true, false]);
  });
  it('an incident led by job-wide metrics is a symptom of the earlier incident on a machine of the same job', () => {
    const a = inc('tm-2', 152, 200, 'sustained-high');
    assert.equal(jobWideSymptomOf(a, jobLed, null, [host, a], jobsOn, none), 'host');
    const earlier = { ...inc('tm-3', 50, 300), id: 'earlier' };
    assert.equal(jobWideSymptomOf(a, jobLed, null, [host, earlier, a], jobsOn, none), 'host', 'tm-3 runs no job of tm-2\'s');
    const first = { ...inc('tm-1', 20, 400), id: 'first' };
    assert.equal(jobWideSymptomOf(a, jobLed, null, [host, first, a], jobsOn, none), 'first', 'the earliest of them');
  });
  it('pages when led by its own metrics, or when its bottleneck is on its own machine', () => {
    const a = inc('tm-2', 152, 200, 'sustained-high');
    assert.equal(jobWideSymptomOf(a, ownLed, null, [host, a], jobsOn, none), null);
    assert.equal(jobWideSymptomOf(a, ownLed, null, [host, a], jobsOn, none, 0.4), 'host', 'the share is a parameter');
    assert.equal(jobWideSymptomOf(a, jobLed, { machine: 'tm-2', busy: 900, jobs: ['orders'], anomalous: false }, [host, a], jobsOn, none), null);
    assert.equal(jobWideSymptomOf(a, jobLed, { machine: 'tm-1', busy: 900, jobs: ['orders'], anomalous: true }, [host, a], jobsOn, none), 'host', 'a cause elsewhere agrees');
  });
  it('not of an incident that opened after it, was resolved before it, is itself a symptom, or shares no job', () => {
    const a = inc('tm-2', 152, 200, 'sustained-high');
    assert.equal(jobWideSymptomOf(a, jobLed, null, [{ ...host, onset: 160 }, a], jobsOn, none), null, 'opened later: this one came first');
    assert.equal(jobWideSymptomOf(a, jobLed, null, [{ ...host, state: 'resolved', lastSeen: 140, resolvedAt: 150 }, a], jobsOn, none), null);
    assert.equal(jobWideSymptomOf(a, jobLed, null, [host, a], jobsOn, (id) => id === 'host'), null);
    assert.equal(jobWideSymptomOf(inc('tm-4', 152, 200), jobLed, null, [host], jobsOn, none), null, 'tm-4 runs only audit');
    assert.equal(jobWideSymptomOf(inc('tm-5', 152, 200), jobLed, null, [host], jobsOn, none), null, 'no placement known');
    assert.equal(jobWideSymptomOf({ ...inc('tm-1', 152, 200), id: 'again' }, jobLed, null, [host], jobsOn, none), null, 'not of its own machine');
  });
});

describe('a job-wide metric that is the machine\'s own (jobMetricOwn)', () => {
  it('at least twice every other machine of the job: its own', () => {
    assert.equal(jobMetricOwn(383, [22, 22]), true, "a slow sink's checkpoints (flink-lab s213)");
    assert.equal(jobMetricOwn(205, [205, 204]), false, 'the same everywhere: the job\'s');
    assert.equal(jobMetricOwn(2260, [2398, 21475]), false, 'higher elsewhere');
    assert.equal(jobMetricOwn(40, [25]), false, '1.6 times: not enough');
    assert.equal(jobMetricOwn(50, [25], 2), true);
  });
  it('nothing to compare with: not its own; zero elsewhere needs more than zero here', () => {
    assert.equal(jobMetricOwn(100, []), false);
    assert.equal(jobMetricOwn(100, [NaN]), false);
    assert.equal(jobMetricOwn(NaN, [1]), false);
    assert.equal(jobMetricOwn(0, [0]), false);
    assert.equal(jobMetricOwn(1, [0]), true);
  });
});
