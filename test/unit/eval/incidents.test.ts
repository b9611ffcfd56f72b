// Incident-level metrics on a hand-made fleet (the arithmetic is in the comments).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { incidentMetrics, IncidentInputError, type Fault, type IncidentSpan, type ObservedSpan } from '../../../src/eval/incidents.js';

const DAY = 86_400_000;
// two machines watched for 2 days each: 4 machine-days
const observed: ObservedSpan[] = [{ machine: 'A', from: 0, to: 2 * DAY }, { machine: 'B', from: 0, to: 2 * DAY }];
const faults: Fault[] = [
  { id: 'f1', kind: 'slow-rise', machines: ['A'], start: 1000, end: 2000, page: true },
  { id: 'f2', kind: 'slow-rise', machines: ['B'], start: 5000, end: 6000, page: true },
  { id: 'f3', kind: 'spike', machines: ['A'], start: 10_000, end: 10_100, page: true },
  { id: 'e1', kind: 'failover', machines: ['B'], start: 20_000, end: 21_000, page: false },
];
const inc = (machine: string, onset: number, end: number, paged: boolean): IncidentSpan => ({ machine, onset, end, paged });
const incidents: IncidentSpan[] = [
  inc('A', 950, 1500, true), //    i1: starts 50 before f1, within the slack of 100 → hit, delay 0
  inc('A', 1200, 1300, false), //  i2: inside f1 → hit (delay 200, but f1's earliest match is i1)
  inc('B', 5500, 7000, true), //   i3: f2 → hit, delay 500
  inc('A', 3000, 3100, true), //   i4: nothing there → false page
  inc('B', 20_500, 20_600, true), // i5: only the failover event → not a hit, a false page, and the event paged
  inc('B', 800, 900, false), //    i6: f1's time but machine B, f1 is on A → not a hit
  inc('A', 10_200, 10_300, true), // i7: starts after f3 ended (10 100) → not a hit, false page
];

describe('incident-level metrics', () => {
  it('precision, recall and delay per kind, false pages per machine-day, events paged', () => {
    const m = incidentMetrics(incidents, faults, observed, 100);
    assert.equal(m.incidents, 7);
    assert.equal(m.incident_precision, 3 / 7); // i1, i2, i3
    assert.equal(m.faults, 3); // the failover is an event, not a fault to find
    assert.equal(m.fault_recall, 2 / 3); // f1, f2; f3 missed
    assert.equal(m.fault_recall_new, 2 / 3); // i1 and i3 began for f1 and f2
    assert.deepEqual(m.by_kind['slow-rise'], { faults: 2, detected: 2, recall: 1, median_delay: 250 }); // median(0, 500)
    assert.equal(m.by_kind.spike.detected, 0);
    assert.ok(Number.isNaN(m.by_kind.spike.median_delay));
    assert.equal(m.median_delay, 250);
    assert.equal(m.pages, 5); // i1, i3, i4, i5, i7
    assert.equal(m.false_pages, 3); // i4, i5, i7
    assert.equal(m.machine_days, 4);
    assert.equal(m.false_pages_per_machine_day, 0.75);
    assert.equal(m.events, 1);
    assert.equal(m.events_paged, 1);
    assert.equal(m.slack, 100);
  });
  it('the slack is the only tolerance: 150 ms early with a slack of 100 misses, with 200 hits at delay 0', () => {
    const early = [inc('A', 850, 880, true)]; // ends 120 before f1 starts
    assert.equal(incidentMetrics(early, faults, observed, 100).fault_recall, 0);
    const m = incidentMetrics(early, faults, observed, 200);
    assert.equal(m.by_kind['slow-rise'].detected, 1);
    assert.equal(m.median_delay, 0);
    assert.equal(m.false_pages, 0);
  });
  it('an event that did not page counts in events but not in events_paged (a dashboard-only incident is no page)', () => {
    const m = incidentMetrics([inc('B', 20_100, 20_200, false)], faults, observed, 0);
    assert.deepEqual([m.events, m.events_paged, m.pages, m.incident_precision], [1, 0, 0, 0]);
  });
  it('recall by new alarms: an incident open and paged before a fault (beyond the slack) matches it, yet did not begin or page for it', () => {
    const long = [inc('A', 0, 12_000, true)]; // open from 0 to 12 000: covers f1 (1000) and f3 (10 000)
    const m = incidentMetrics(long, faults, observed, 100);
    assert.equal(m.fault_recall, 2 / 3, 'f1 and f3 matched; f2 is on B');
    assert.equal(m.fault_recall_new, 0, 'it began 1000 before f1 (slack 100) and long before f3');
    assert.equal(incidentMetrics(long, faults, observed, 1000).fault_recall_new, 1 / 3, 'within a slack of 1000 it began for f1');
    assert.equal(incidentMetrics([...long, inc('A', 10_050, 10_080, false)], faults, observed, 100).fault_recall_new, 1 / 3, 'a new incident inside f3 began for it');
    const heldThenPaged = { ...inc('A', 0, 12_000, true), pagedAt: 9950 }; // open since 0, paged only at 9950
    assert.equal(incidentMetrics([heldThenPaged], faults, observed, 100).fault_recall_new, 1 / 3, 'it paged for f3 (within the slack before it)');
    assert.equal(incidentMetrics([inc('A', 0, 12_000, false)], faults, observed, 100).fault_recall_new, 0, 'never paged, begun before both');
  });
  it('updates: a paged incident that notified again inside a fault found it by a new alarm; one outside every fault is a false update', () => {
    const long = { ...inc('A', 0, 12_000, true), updates: [10_020, 11_000] }; // open since 0; updates inside f3 and after it
    const m = incidentMetrics([long], faults, observed, 100);
    assert.equal(m.fault_recall_new, 1 / 3, 'the update at 10 020 told the operator about f3');
    assert.equal(m.by_kind.spike.median_delay, 20, 'f3 was detected when the update went out, 20 after it began');
    assert.equal(m.by_kind['slow-rise'].median_delay, 0, 'f1: matched only by the incident open from before (nothing new told)');
    const heldThenPaged = { ...inc('A', 0, 12_000, true), pagedAt: 10_050 };
    assert.equal(incidentMetrics([heldThenPaged], faults, observed, 100).by_kind.spike.median_delay, 50, 'a held incident told the operator when it paged');
    assert.deepEqual([m.updates, m.false_updates], [2, 1], '11 000 lies in no fault of A');
    assert.equal(m.false_notifications_per_machine_day, 1 / 4, 'no false page, one false update, 4 machine-days');
    assert.equal(m.false_pages, 0);
    const early = { ...inc('A', 0, 12_000, true), updates: [9950] }; // within the slack before f3
    assert.deepEqual([incidentMetrics([early], faults, observed, 100).fault_recall_new, incidentMetrics([early], faults, observed, 100).false_updates], [1 / 3, 0]);
    assert.equal(incidentMetrics([{ ...inc('A', 0, 12_000, true), updates: [9800] }], faults, observed, 100).fault_recall_new, 0, 'before the slack: not for f3');
    const onB = { ...inc('B', 0, 12_000, true), updates: [10_020] }; // f3 is on A
    assert.deepEqual([incidentMetrics([onB], faults, observed, 100).fault_recall_new, incidentMetrics([onB], faults, observed, 100).false_updates], [0, 1], 'it matches f2 but began long before it; the update, on B during f3 (on A), is false');
  });
  it('a fault on several machines is found by an incident on any of them', () => {
    const wide: Fault[] = [{ id: 'w', kind: 'backpressure', machines: ['A', 'B'], start: 100, end: 200, page: true }];
    assert.equal(incidentMetrics([inc('B', 150, 150, true)], wide, observed, 0).fault_recall, 1);
  });
  it('no incidents: precision is undefined (NaN), recall 0, no false pages', () => {
    const m = incidentMetrics([], faults, observed, 0);
    assert.ok(Number.isNaN(m.incident_precision));
    assert.equal(m.fault_recall, 0);
    assert.equal(m.false_pages_per_machine_day, 0);
  });
  it('bad input is a clear error', () => {
    const bad = (i: IncidentSpan[], f: Fault[], o: ObservedSpan[], slack: number, re: RegExp): void =>
      assert.throws(() => incidentMetrics(i, f, o, slack), (e: Error) => e instanceof IncidentInputError && re.test(e.message));
    bad([inc('C', 1, 2, true)], [], observed, 0, /machine 'C', which has no observed span/);
    bad([inc('A', 5, 2, true)], [], observed, 0, /end 2 before onset 5/);
    bad([], [{ ...faults[0], machines: [] }], observed, 0, /fault 'f1' lists no machines/);
    bad([], [faults[0], faults[0]], observed, 0, /fault id 'f1' is given twice/);
    bad([], [{ ...faults[0], end: 1000 }], observed, 0, /fault 'f1' is not start < end/);
    bad([], [], [...observed, observed[0]], 0, /machine 'A' has two observed spans/);
    bad([], [], observed, -1, /slack must be a finite number ≥ 0/);
    bad([{ ...inc('A', 5, 20, false), updates: [10] }], [], observed, 0, /has updates but never paged/);
    bad([{ ...inc('A', 5, 20, true), pagedAt: 12, updates: [10] }], [], observed, 0, /update at 10: it must be a time after its page 12/);
  });
});

describe('faults of a dataset item', () => {
  it('flink-lab items are judged on their recorded faults (kind, page) within the test part, not on label runs', async () => {
    const { loadDataset } = await import('../../../src/data/index.js');
    const { faultsFromLabels } = await import('../../../src/eval/runner.js');
    const items = await loadDataset('flink-lab:test/fixtures/flink-lab/mini');
    const tm2 = items.find((i) => i.series === 'tm-2')!;
    const f = faultsFromLabels(tm2);
    assert.ok(f.length > 0);
    assert.ok(f.every((x) => x.machines.length === 1 && x.machines[0] === 'tm-2' && x.start >= tm2.test.timestamps[0]));
    assert.ok(f.some((x) => x.kind === 'slow-sink' && x.page), JSON.stringify(f));
    assert.ok(!f.some((x) => x.kind === 'labelled'));
  });
});

describe('alarm share', () => {
  it('is the watched machine-time inside incidents, overlaps merged and clipped to the watch', () => {
    const observed: ObservedSpan[] = [{ machine: 'a', from: 0, to: 100 }, { machine: 'b', from: 0, to: 100 }];
    const incidents: IncidentSpan[] = [
      { machine: 'a', onset: 10, end: 30, paged: true },
      { machine: 'a', onset: 20, end: 40, paged: true }, // overlaps the first: 10..40 counts once
      { machine: 'b', onset: 90, end: 150, paged: false }, // clipped at 100
    ];
    const faults: Fault[] = [{ id: 'f', kind: 'skew', machines: ['a'], start: 15, end: 35, page: true }];
    assert.equal(incidentMetrics(incidents, faults, observed, 0).alarm_share, (30 + 10) / 200);
    assert.equal(incidentMetrics([], faults, observed, 0).alarm_share, 0);
  });
});

describe('events that paged', () => {
  it('an incident paged for a hotspot and still open when a failover comes did not page for the failover; one that starts with it did', () => {
    const observed: ObservedSpan[] = [{ machine: 'a', from: 0, to: 1000 }];
    const hot: Fault = { id: 'h', kind: 'state-growth', machines: ['a'], start: 100, end: 200, page: true };
    const fo: Fault = { id: 'fo', kind: 'failover', machines: ['a'], start: 250, end: 260, page: false };
    const carried: IncidentSpan = { machine: 'a', onset: 110, end: 300, paged: true };
    assert.equal(incidentMetrics([carried], [hot, fo], observed, 0).events_paged, 0);
    const own: IncidentSpan = { machine: 'a', onset: 255, end: 300, paged: true };
    assert.equal(incidentMetrics([own], [hot, fo], observed, 0).events_paged, 1);
    // a hotspot that begins after the event does not excuse a page that overlaps both
    const later: Fault = { id: 'h2', kind: 'skew', machines: ['a'], start: 280, end: 400, page: true };
    assert.equal(incidentMetrics([{ machine: 'a', onset: 252, end: 350, paged: true }], [later, fo], observed, 0).events_paged, 1);
  });

  it('a held incident that began with the event and paged during a later hotspot paged for the hotspot, as recall by new alarms counts it', () => {
    const observed: ObservedSpan[] = [{ machine: 'a', from: 0, to: 1000 }];
    const fo: Fault = { id: 'fo', kind: 'failover', machines: ['a'], start: 250, end: 260, page: false };
    const later: Fault = { id: 'h2', kind: 'state-growth', machines: ['a'], start: 280, end: 400, page: true };
    const held: IncidentSpan = { machine: 'a', onset: 252, end: 390, paged: true, pagedAt: 300 };
    const m = incidentMetrics([held], [later, fo], observed, 10);
    assert.deepEqual([m.events_paged, m.false_pages, m.fault_recall_new, m.median_delay], [0, 0, 1, 20]);
    // paged before the hotspot's slack began: the event's page, and the hotspot is found only by an incident open from before
    const before = incidentMetrics([{ ...held, pagedAt: 265 }], [later, fo], observed, 10);
    assert.deepEqual([before.events_paged, before.fault_recall, before.fault_recall_new], [1, 1, 0]);
    // a hotspot on another machine explains nothing here
    const both: ObservedSpan[] = [...observed, { machine: 'b', from: 0, to: 1000 }];
    const elsewhere = incidentMetrics([held], [{ ...later, machines: ['b'] }, fo], both, 10);
    assert.deepEqual([elsewhere.events_paged, elsewhere.false_pages], [1, 1]);
  });

  it('a page sent before the event began was not the event\'s, even inside the slack; one sent after it (a held incident paging after its hold) was', () => {
    const observed: ObservedSpan[] = [{ machine: 'a', from: 0, to: 1000 }];
    const fo: Fault = { id: 'fo', kind: 'failover', machines: ['a'], start: 250, end: 260, page: false };
    // opened and paged 36 before the kill, open through it: a false page, but not one the failover sent
    const early: IncidentSpan = { machine: 'a', onset: 214, end: 400, paged: true, pagedAt: 214 };
    const m = incidentMetrics([early], [fo], observed, 100);
    assert.deepEqual([m.events_paged, m.false_pages], [0, 1]);
    // without a page time the onset stands for it
    assert.equal(incidentMetrics([{ machine: 'a', onset: 214, end: 400, paged: true }], [fo], observed, 100).events_paged, 0);
    // opened before the event, held (e.g. by an earlier restart) and paged after the failover began: the failover's
    assert.equal(incidentMetrics([{ ...early, pagedAt: 255 }], [fo], observed, 100).events_paged, 1);
    assert.throws(() => incidentMetrics([{ ...early, pagedAt: 100 }], [fo], observed, 100), IncidentInputError);
    assert.throws(() => incidentMetrics([{ ...early, pagedAt: NaN }], [fo], observed, 100), /page time NaN/);
  });
});

describe('symptoms', () => {
  // one hotspot on A; B's back-pressure from it is recorded as its symptom (not paged); C's is a stray symptom
  const obs: ObservedSpan[] = [{ machine: 'A', from: 0, to: DAY }, { machine: 'B', from: 0, to: DAY }, { machine: 'C', from: 0, to: DAY }];
  const fs: Fault[] = [{ id: 'h', kind: 'slow-sink', machines: ['A'], start: 1000, end: 5000, page: true }, { id: 'bp', kind: 'backpressure', machines: ['C'], start: 1000, end: 5000, page: true }];
  const spans: IncidentSpan[] = [
    { machine: 'A', onset: 1000, end: 4000, paged: true },
    { machine: 'B', onset: 1500, end: 3000, paged: false, symptom: true },
    { machine: 'C', onset: 1500, end: 3000, paged: false, symptom: true },
  ];
  it('are not separate incidents: counted apart, out of precision, but find a fault on their machine', () => {
    const m = incidentMetrics(spans, fs, obs, 0);
    assert.equal(m.incidents, 1);
    assert.equal(m.symptoms, 2);
    assert.equal(m.incident_precision, 1);
    assert.equal(m.fault_recall, 1, "C's back-pressure fault is shown (under its cause)");
    assert.equal(m.pages, 1);
    assert.equal(m.false_pages, 0);
  });
  it('without the flag the same spans are three incidents, one of them false', () => {
    const m = incidentMetrics(spans.map(({ symptom: _s, ...x }) => x), fs, obs, 0);
    assert.equal(m.incidents, 3);
    assert.equal(m.symptoms, 0);
    assert.equal(m.incident_precision, 2 / 3);
  });
});

describe('after-effects', () => {
  // a restart on A (an event, must not page) and a hotspot on B that began during B's restart
  const obs: ObservedSpan[] = [{ machine: 'A', from: 0, to: DAY }, { machine: 'B', from: 0, to: DAY }];
  const fs: Fault[] = [
    { id: 'r', kind: 'restart', machines: ['A'], start: 1000, end: 2000, page: false },
    { id: 'h', kind: 'plateau', machines: ['B'], start: 1000, end: 9000, page: true },
  ];
  const spans: IncidentSpan[] = [
    { machine: 'A', onset: 1000, end: 1800, paged: false, afterEffect: true },
    { machine: 'B', onset: 1000, end: 1500, paged: false, afterEffect: true },
  ];
  it('are not separate incidents and find no fault: a hotspot seen only as an after-effect is missed', () => {
    const m = incidentMetrics(spans, fs, obs, 0);
    assert.equal(m.incidents, 0);
    assert.equal(m.after_effects, 2);
    assert.equal(m.symptoms, 0);
    assert.ok(Number.isNaN(m.incident_precision));
    assert.equal(m.fault_recall, 0, "B's hotspot was shown as the restart's expected consequence: missed");
    assert.equal(m.events_paged, 0);
  });
  it('the hotspot paged after the hold is an incident that finds it; without the flag, the restart is a false incident', () => {
    const paged = incidentMetrics([spans[0], { machine: 'B', onset: 1000, end: 8000, paged: true }], fs, obs, 0);
    assert.deepEqual([paged.incidents, paged.after_effects, paged.incident_precision, paged.fault_recall], [1, 1, 1, 1]);
    const plain = incidentMetrics(spans.map(({ afterEffect: _a, ...x }) => x), fs, obs, 0);
    assert.deepEqual([plain.incidents, plain.after_effects, plain.incident_precision, plain.fault_recall], [2, 0, 0.5, 1]);
  });
});
