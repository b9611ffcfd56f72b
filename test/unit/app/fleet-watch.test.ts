// The watcher as a fleet worker runs it (src/app/fleet.ts), without Kafka: watchers that each own a share of the
// machines (a partition), number incidents with their own prefix and keep their meta apart, over one store, produce
// the scores and incidents of one watcher over everything; one rebuilt from the store mid-way continues exactly; and
// a watcher whose fence was claimed by another commits nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore, FencedError, type Store } from '../../../src/store/index.js';
import { Watcher, type WatchOptions } from '../../../src/app/watch.js';
import { createDetector, type Detector } from '../../../src/detectors/index.js';
import type { Sample } from '../../../src/core/sample.js';

const T0 = 1.7e12;
const at = (i: number): number => T0 + i * 60_000;

function history(): Sample[] {
  const out: Sample[] = [];
  for (let m = 0; m < 6; m++) {
    for (let i = 0; i < 300; i++) {
      const h = i > 120 && i % 71 > 60 - m ? 8 : 0;
      out.push({ ts: at(i), machine: `tm-${m}`, metric: 'cpu_load', value: Math.sin(i / 9 + m) + ((i * 7) % 5) * 0.05 + h }, { ts: at(i), machine: `tm-${m}`, metric: 'latency_ms', value: 50 + Math.cos(i / 7) + h * 10 });
    }
  }
  return out;
}

async function model(store: Store): Promise<Detector> {
  const det = createDetector('zscore');
  await det.fit(await store.series('tm-0', ['cpu_load', 'latency_ms'], 0, at(100)), { threshold: { rule: 'fixed:6', of: () => 6 } });
  return det;
}

async function dump(s: Store): Promise<{ scores: unknown[]; incidents: string[] }> {
  const scores = [];
  for (const m of await s.machines()) scores.push([m, await s.scores(m, 0, at(1000))]);
  const incidents = (await s.incidents({ limit: 500 })).items.map((i) => `${i.machine}/${i.type}/${i.onset}/${i.lastSeen}/${i.state}/${i.segments}`).sort();
  return { scores, incidents };
}

const part = (k: number): WatchOptions => ({ owns: (m) => Number(m.slice(3)) % 2 === k, idPrefix: `inc-p${k}-`, metaPrefix: `fleet/t/${k}/`, maxRowsPerStep: 40 });

describe('watchers sharing a store by partition', () => {
  it('two partition watchers equal one watcher over all machines; ids and meta stay apart; a rebuild continues exactly', async () => {
    const one = new SqliteStore(':memory:');
    await one.insertSamples(history());
    const det = await model(one);
    const w = await Watcher.open(one, det, 6, null, { maxRowsPerStep: 40 });
    while ((await w.step()).progressed);
    const want = await dump(one);
    assert.ok(want.incidents.length >= 6, `the history raises incidents (${want.incidents.length})`);

    const two = new SqliteStore(':memory:');
    await two.insertSamples(history());
    const fence = async (k: number): Promise<{ key: string; epoch: number }> => ({ key: `fleet/t/${k}/fence`, epoch: await two.claim(`fleet/t/${k}/fence`) });
    let a = await Watcher.open(two, det, 6, null, { ...part(0), fence: await fence(0) });
    const b = await Watcher.open(two, det, 6, null, { ...part(1), fence: await fence(1) });
    let stepsA = 0;
    for (let more = true; more;) {
      const ra = await a.step();
      const rb = await b.step();
      more = ra.progressed || rb.progressed;
      // partition 0 changes hands after every third step: the new owner rebuilds from the store
      if (ra.progressed && ++stepsA % 3 === 0) a = await Watcher.open(two, det, 6, null, { ...part(0), fence: await fence(0) });
    }
    assert.deepEqual(await dump(two), want, 'the same scores and incidents');
    const ids = (await two.incidents({ limit: 500 })).items;
    for (const i of ids) assert.match(i.id, new RegExp(`^inc-p${Number(i.machine.slice(3)) % 2}-\\d+$`), `${i.id} on ${i.machine}`);
    assert.ok(Number(await two.meta('fleet/t/0/nextIncident')) > 1 && Number(await two.meta('fleet/t/1/nextIncident')) > 1);
    assert.equal(await two.meta('nextIncident'), null, 'no shared counter');
    await one.close();
    await two.close();
  });

  it('a watcher whose partition was claimed again commits nothing', async () => {
    const s = new SqliteStore(':memory:');
    await s.insertSamples(history());
    const det = await model(s);
    const old = await Watcher.open(s, det, 6, null, { ...part(0), fence: { key: 'fleet/t/0/fence', epoch: await s.claim('fleet/t/0/fence') } });
    assert.ok((await old.step()).progressed);
    const scored = (await s.scores('tm-0', 0, at(1000))).t.length;
    await s.claim('fleet/t/0/fence'); // another member took partition 0 over
    await assert.rejects(old.step(), FencedError);
    assert.equal((await s.scores('tm-0', 0, at(1000))).t.length, scored, 'the fenced step wrote no score');
    await s.close();
  });
});
