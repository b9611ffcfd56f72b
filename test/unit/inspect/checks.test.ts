// Job-state checks (pure): a task failing or restarting while its job runs, checkpoints that stop completing, Kafka
// lag that keeps growing — each an event with an id built from Flink's facts, announced once per episode.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JobStateChecks, type LagPoint } from '../../../src/inspect/checks.js';
import type { JobObservation } from '../../../src/core/jobgraph.js';

type Task = [status: string, attempt: number];
/** Job j1 'orders': vertex 'score' with subtasks on tm-1…tm-3. */
const obs = (state: string, tasks: Task[], checkpoint: Partial<JobObservation['checkpoint']> = {}, runningSince = 0): JobObservation => ({
  graph: {
    jobId: 'j1', job: 'orders', ts: 0, state, edges: [],
    vertices: [{ id: 'v1', name: 'score', parallelism: tasks.length, subtasks: tasks.map(([status, attempt], index) => ({ index, machine: `tm-${index + 1}`, status, attempt, busy: 0.1, backpressure: 0 })) }],
  },
  runningSince,
  checkpoint: { intervalMs: null, lastCompletedId: null, lastCompletedAt: null, ...checkpoint },
});
const ok: Task[] = [['RUNNING', 0], ['RUNNING', 0], ['RUNNING', 0]];

describe('job-state checks', () => {
  it('a task that FAILED or came back with a new attempt while the job runs is one event per failure', () => {
    const c = new JobStateChecks();
    assert.deepEqual(c.observe([obs('RUNNING', ok)], 1000), []);
    const e = c.observe([obs('RUNNING', [['RUNNING', 0], ['FAILED', 0], ['RUNNING', 0]])], 2000);
    assert.equal(e.length, 1);
    assert.deepEqual([e[0].kind, e[0].id, e[0].job, e[0].machines], ['task-failed', 'task-failed:j1:score#1@0', 'orders', ['tm-2']]);
    assert.match(e[0].detail, /score #1 on tm-2: FAILED/);
    // the same failure seen again as its redeployment (attempt 1): not a second event
    assert.deepEqual(c.observe([obs('RUNNING', [['RUNNING', 0], ['DEPLOYING', 1], ['RUNNING', 0]])], 3000), []);
    assert.deepEqual(c.observe([obs('RUNNING', [['RUNNING', 0], ['RUNNING', 1], ['RUNNING', 0]])], 4000), []);
    // a restart that happened entirely between two polls shows as a new attempt
    const again = c.observe([obs('RUNNING', [['RUNNING', 0], ['RUNNING', 1], ['RUNNING', 1]])], 5000);
    assert.deepEqual(again.map((x) => [x.id, x.machines]), [['task-failed:j1:score#2@0', ['tm-3']]]);
    assert.match(again[0].detail, /restarted \(attempt 1\)/);
  });

  it('a whole-job restart (RESTARTING in between) is not a task failure; finished jobs leave no state behind', () => {
    const c = new JobStateChecks();
    c.observe([obs('RUNNING', ok)], 1000);
    assert.deepEqual(c.observe([obs('RESTARTING', [['CANCELING', 0], ['CANCELING', 0], ['CANCELING', 0]])], 2000), []);
    assert.deepEqual(c.observe([obs('RUNNING', [['DEPLOYING', 1], ['DEPLOYING', 1], ['RUNNING', 1]])], 3000), []);
    assert.deepEqual(c.observe([obs('RUNNING', [['RUNNING', 1], ['RUNNING', 1], ['RUNNING', 1]])], 4000), []);
    assert.deepEqual(c.observe([], 5000), []);
    assert.deepEqual(c.observe([obs('RUNNING', [['RUNNING', 2], ['RUNNING', 2], ['RUNNING', 2]])], 6000), [], 'first sight of a job compares with nothing');
  });

  it('checkpoints: stalled after N intervals without a completed one, once per stall; off means no check', () => {
    const c = new JobStateChecks({ checkpointIntervals: 3 });
    const ck = (id: number | null, at: number | null) => ({ intervalMs: 10_000, lastCompletedId: id, lastCompletedAt: at });
    assert.deepEqual(c.observe([obs('RUNNING', ok, ck(7, 100_000), 0)], 110_000), []);
    assert.deepEqual(c.observe([obs('RUNNING', ok, ck(7, 100_000), 0)], 129_999), [], 'two intervals and a bit: not yet');
    const e = c.observe([obs('RUNNING', ok, ck(7, 100_000), 0)], 131_000);
    assert.deepEqual([e[0].kind, e[0].id, e[0].machines], ['checkpoint-stalled', 'checkpoint-stalled:j1:7', ['tm-1', 'tm-2', 'tm-3']]);
    assert.match(e[0].detail, /no checkpoint of orders completed for 3 intervals of 10 s: the last \(#7\)/);
    assert.equal(c.observe([obs('RUNNING', ok, ck(7, 100_000), 0)], 200_000)[0].id, e[0].id, 'the same stall keeps its id (stored once)');
    assert.deepEqual(c.observe([obs('RUNNING', ok, ck(8, 195_000), 0)], 200_000), [], 'a completed checkpoint ends the stall');
    // never completed: counted from when the job (last) entered RUNNING — after a restart, from the restart
    const d = new JobStateChecks();
    assert.deepEqual(d.observe([obs('RUNNING', ok, ck(null, null), 50_000)], 75_000), []);
    assert.equal(d.observe([obs('RUNNING', ok, ck(null, null), 50_000)], 85_000)[0].id, 'checkpoint-stalled:j1:none');
    assert.deepEqual(new JobStateChecks().observe([obs('RUNNING', ok, ck(3, 0), 500_000)], 520_000), [], 'back from a restart 20 s ago');
    assert.equal(new JobStateChecks().observe([obs('RUNNING', ok, ck(3, 0), 500_000)], 531_000).length, 1);
    assert.deepEqual(new JobStateChecks().observe([obs('RUNNING', ok, { intervalMs: null }, 0)], 10_000_000), [], 'checkpointing off');
    assert.deepEqual(new JobStateChecks().observe([obs('RESTARTING', ok, ck(1, 0), 0)], 10_000_000), [], 'a restarting job is the restart event\'s business');
  });

  it('Kafka lag: growing over the whole window (summed over machines) is one event per episode', () => {
    const c = new JobStateChecks({ lagWindowMs: 300_000, lagSlices: 5, lagMinGrowth: 1000 });
    const pts = (from: number, to: number, lag: (t: number) => number): LagPoint[] => {
      const out: LagPoint[] = [];
      for (let t = from; t <= to; t += 10_000) for (const m of ['tm-1', 'tm-2']) out.push({ job: 'orders', machine: m, ts: t, lag: lag(t) / 2 });
      return out;
    };
    // noisy but rising: 100 records/s plus ±400 of noise
    const rising = (t: number): number => 5000 + t / 10 + ((t / 10_000) % 3 - 1) * 400;
    assert.deepEqual(c.observeLag(pts(0, 200_000, rising), 200_000), [], 'the window is not covered yet');
    const e = c.observeLag(pts(210_000, 310_000, rising), 310_000);
    assert.equal(e.length, 1);
    assert.deepEqual([e[0].kind, e[0].job, e[0].machines], ['lag-growing', 'orders', ['tm-1', 'tm-2']]);
    assert.match(e[0].detail, /Kafka consumer lag of orders grew for 5 min: \d+ → \d+ records/);
    assert.deepEqual(c.observeLag(pts(320_000, 400_000, rising), 400_000), [], 'one event while the episode lasts');
    // it stops growing (flat): the episode ends; growth later is a new episode
    assert.deepEqual(c.observeLag(pts(410_000, 800_000, () => 45_000), 800_000), []);
    const again = c.observeLag(pts(810_000, 1_200_000, (t) => 45_000 + (t - 800_000) / 10), 1_200_000);
    assert.equal(again.length, 1);
    assert.notEqual(again[0].id, e[0].id);
  });

  it('Kafka lag: a flat, noisy or too small rise is no event', () => {
    const c = new JobStateChecks({ lagWindowMs: 300_000, lagMinGrowth: 1000 });
    const at = (lag: (t: number) => number): LagPoint[] => Array.from({ length: 31 }, (_, i) => ({ job: 'j', machine: 'tm-1', ts: i * 10_000, lag: lag(i * 10_000) }));
    assert.deepEqual(c.observeLag(at(() => 9000), 300_000), []);
    assert.deepEqual(new JobStateChecks().observeLag(at((t) => 9000 + Math.sin(t / 7000) * 3000), 300_000), [], 'noise that goes up and down');
    assert.deepEqual(new JobStateChecks().observeLag(at((t) => 9000 + t / 1000), 300_000), [], 'rises by 300 records: under the minimum');
    assert.throws(() => new JobStateChecks({ lagSlices: 1 }), /lagSlices/);
  });
});
