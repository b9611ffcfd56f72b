// The incident-level study's inputs: cluster specs, configurations and alarm policies are parsed strictly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { incidentStudyMarkdown, studyCluster, type StudyRow } from '../../../src/app/incident-study.js';
import { parseConfig, parsePolicy } from '../../../src/cli/commands/incidents.js';

describe('incident study inputs', () => {
  it('parses clusters, configurations and policies, and names what is wrong', () => {
    const c = studyCluster('synthetic:flink?machines=3&days=1&seed=4');
    assert.equal(c.machines.length, 3);
    assert.ok(c.faults.some((f) => f.page) && c.events!.every((e) => e.kind === 'restart'));
    assert.throws(() => studyCluster('synthetic:flink?machnes=3'), /unknown option 'machnes'/);
    assert.throws(() => studyCluster('nab:/x'), /not synthetic:flink/);
    assert.deepEqual(parseConfig('ccl:peers=both;peerScore=mean'), { name: 'ccl:peers=both;peerScore=mean', kind: 'ccl', params: { peers: 'both', peerScore: 'mean' } });
    assert.throws(() => parseConfig('ccl:peers'), /key=value/);
    assert.deepEqual(parsePolicy('budget:2/day').alarms, { perDay: 2, hysteresis: true });
    assert.deepEqual(parsePolicy('mad:8,nohyst').alarms, { rule: { kind: 'mad', k: 8 }, hysteresis: false });
    assert.throws(() => parsePolicy('mad:8,loud'), /unknown flag/);
    assert.deepEqual(parsePolicy('mad:8,nosustain,nohyst'), { name: 'mad:8,nosustain,nohyst', alarms: { rule: { kind: 'mad', k: 8 }, hysteresis: false }, watch: { sustainMs: 0 } });
    assert.equal(parsePolicy('mad:8').watch, undefined, 'the sustained rule at its default');
    assert.deepEqual(parsePolicy('budget:1/day,persist=6').watch, { minPoints: 6 });
    assert.deepEqual(parsePolicy('mad:8,persist=4,nosustain').watch, { minPoints: 4, sustainMs: 0 });
    for (const bad of ['mad:8,persist=0', 'mad:8,persist=x', 'mad:8,persist=']) assert.throws(() => parsePolicy(bad), /unknown flag .*persist=N/);
  });
});

describe('incident study tables', () => {
  it('show hotspot recall next to recall by new alarms and the updates sent, and per kind what was found', () => {
    const row: StudyRow = {
      cluster: 'flink-lab:x', config: 'ccl', policy: 'mad:8', incidents: 2, incident_precision: 1, pages: 2, page_precision: 1, recall: 1, recall_new: 0.5,
      updates: 3, false_updates: 1, false_pages_per_machine_day: 0, events: 1, events_paged: 0, symptoms: 1, after_effects: 0, alarm_share: 0.4, median_delay_min: 0,
      by_kind: { skew: { found: 2, faults: 2, median_delay_min: 0 } }, breach_warned: '—', breach_lead_min: NaN, train_ms: 1,
    };
    const md = incidentStudyMarkdown([row]).split('\n');
    const head = md.find((l) => l.startsWith('| configuration | alarms | incidents'))!.split(' | ');
    const line = md.find((l) => l.startsWith('| ccl | mad:8 | 2'))!.split(' | ');
    assert.equal(line.length, head.length, 'one cell per column');
    assert.deepEqual([line[head.indexOf('hotspot recall')], line[head.indexOf('by new alarms')], line[head.indexOf('updates (false)')], line[head.indexOf('time in alarm')]], ['1.00', '0.50', '3 (1)', '0.40']);
    assert.equal(line[2], '2 (+1 symptom)');
    assert.ok(md.includes('| ccl | mad:8 | 2/2 (0) |'), md.join('\n'));
  });
});

describe('the product incidents seam', () => {
  /** A one-channel series of T points every stepMs, as train and test alike (the seam reads only the test's times). */
  const seamItem = (T: number, stepMs: number) => {
    const ts = Float64Array.from({ length: T }, (_, i) => 1.7e12 + i * stepMs);
    return { dataset: 'd', series: 'm', train: { name: 'm', timestamps: ts, channels: ['x'], values: new Float32Array(T) }, test: { name: 'm', timestamps: ts, channels: ['x'], values: new Float32Array(T) } };
  };
  it('opens after 3 consecutive points at the threshold, one incident per episode', async () => {
    const { productIncidentsOf } = await import('../../../src/app/product-incidents.js');
    const T = 200;
    const item = seamItem(T, 60_000);
    const s = new Float32Array(T);
    s[20] = s[21] = 9; // two points: no page
    for (let i = 50; i < 60; i++) s[i] = 9; // an episode with a dip
    s[55] = 0;
    for (let i = 150; i < 153; i++) s[i] = 9;
    const inc = productIncidentsOf()(item, s, 5);
    assert.deepEqual(inc.map((i) => [Math.round((i.onset - 1.7e12) / 60_000), Math.round((i.end - 1.7e12) / 60_000)]), [[50, 59], [150, 152]]);
  });
  it('at a 2-s scrape it needs 6 points (three Flink readings): 3 or 5 do not open, 6 do', async () => {
    const { productIncidentsOf } = await import('../../../src/app/product-incidents.js');
    const T = 400;
    const item = seamItem(T, 2_000);
    const s = new Float32Array(T);
    s.fill(9, 20, 23); // one 5-s update read three times
    s.fill(9, 100, 105);
    s.fill(9, 300, 306);
    const inc = productIncidentsOf({ quietMs: 60_000 })(item, s, 5);
    assert.deepEqual(inc.map((i) => [(i.onset - 1.7e12) / 2_000, (i.end - 1.7e12) / 2_000]), [[300, 305]]);
    assert.equal(productIncidentsOf({ quietMs: 60_000, minPoints: 3 })(item, s, 5).length, 3, 'told 3 points, each run opens');
  });
});

describe('the study\'s event grace (--event-grace)', () => {
  it('reaches the watcher: 0 lets a restart page, the default holds it, a day holds everything after it', async (t) => {
    const { incidentStudy } = await import('../../../src/app/incident-study.js');
    const { mkdtempSync, readdirSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'grace-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const run = async (eventGraceMs?: number) => (await incidentStudy({ clusters: ['synthetic:flink?machines=3&days=2&seed=4'], configs: [parseConfig('zscore')], policies: [parsePolicy('mad:8')], epochs: 1, eventGraceMs, dir }))[0];
    const [never, dflt, day] = [await run(0), await run(), await run(86_400_000)];
    assert.deepEqual(readdirSync(dir), [], 'each replay\'s store is deleted once its row is made');
    assert.deepEqual([never.events, never.events_paged, never.after_effects], [1, 1, 0], 'grace 0: the restart pages');
    assert.deepEqual([dflt.events_paged, dflt.after_effects], [0, 1], 'the default 10 min: held, recorded as its after-effect');
    assert.ok(day.after_effects > dflt.after_effects && day.pages < dflt.pages, `a day's grace holds the later incidents too (${day.after_effects} after-effects, ${day.pages} pages)`);
  });
});
