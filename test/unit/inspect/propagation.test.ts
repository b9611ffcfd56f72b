// Back-pressure propagation: the back-pressured machine's incident names the busy machine downstream in a shared job —
// as a pure rule (end to end through the watcher: test/unit/app/watch.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backpressureCause, seriesActivity, type Activity } from '../../../src/inspect/propagation.js';
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
