// An event's hold on an incident's page (src/app/enrich.ts holdUntil, pagesNow; issue #14): an event that came
// before the incident opened holds it, even when the incident's first run began a moment before the event; after the
// hold the incident pages only when it meets the sustained rule wholly after the hold's end (a burst that crosses the
// opening level does not page it); an incident still open when a later event comes is held by that event too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { holdUntil, pagesNow } from '../../../src/app/enrich.js';
import type { Incident } from '../../../src/core/incident.js';
import type { FlinkEvent } from '../../../src/core/event.js';

const MIN = 60_000;
const inc = (o: Partial<Incident>): Incident => ({ id: 'inc-1', machine: 'tm-1', state: 'open', type: 'trend', onset: 100 * MIN, lastSeen: 110 * MIN, peak: 30, segments: 1, ...o });
const restart = (ts: number): FlinkEvent => ({ id: `r-${ts}`, ts, kind: 'restart', machines: ['tm-1'], detail: 'job restarted' });

describe('event hold', () => {
  it('an event after the onset but before the incident opened holds it (a run that began just before a restart)', () => {
    const i = inc({ openedAt: 104 * MIN });
    assert.equal(holdUntil(i, [restart(102 * MIN)], 10 * MIN), 112 * MIN);
    assert.equal(holdUntil(i, [restart(105 * MIN)], 10 * MIN), -Infinity, 'an event after the incident opened does not');
    assert.equal(holdUntil(inc({}), [restart(102 * MIN)], 10 * MIN), -Infinity, 'without openedAt: events up to the onset only');
  });
  it('an incident still open when a later event comes: its run in that event\'s grace period does not page', () => {
    // opened and held by a restart at 95; still open when a second restart comes at 130
    const events = [restart(95 * MIN), restart(130 * MIN)];
    const during = inc({ openedAt: 100 * MIN, lastSeen: 133 * MIN, sustainedFrom: 132 * MIN });
    assert.equal(holdUntil(during, events, 10 * MIN), 140 * MIN, 'the second restart holds it');
    assert.equal(pagesNow(during, holdUntil(during, events, 10 * MIN), 133 * MIN), false);
    const after = inc({ openedAt: 100 * MIN, lastSeen: 143 * MIN, sustainedFrom: 141 * MIN });
    assert.equal(pagesNow(after, holdUntil(after, events, 10 * MIN), 143 * MIN), true, 'a run after that hold pages');
    const between = inc({ openedAt: 100 * MIN, lastSeen: 120 * MIN, sustainedFrom: 118 * MIN });
    assert.equal(pagesNow(between, holdUntil(between, events, 10 * MIN), 120 * MIN), true, 'a run between the two holds pages');
    assert.equal(holdUntil(inc({ openedAt: 100 * MIN, sustainedFrom: 129 * MIN }), events, 10 * MIN), 105 * MIN, 'an event after the run began does not hold it');
  });
  it('after the hold, a burst at the opening level does not page; a sustained run wholly after it does', () => {
    const until = 110 * MIN;
    // the catch-up crossed the opening level at the hold's end, but its last sustained run began before it
    const catchUp = inc({ lastHigh: 111 * MIN, lastSeen: 112 * MIN, sustainedFrom: 103 * MIN });
    assert.equal(pagesNow(catchUp, until, 115 * MIN), false);
    // after a restart the incident stays open and bursts meet the persistence rule again (its points at the opening
    // level after the hold): they do not page it
    const burst = inc({ lastHigh: 114 * MIN, lastSeen: 114 * MIN, sustainedFrom: 103 * MIN });
    assert.equal(pagesNow(burst, until, 115 * MIN), false, 'a persistence run after the hold is not enough');
    assert.equal(pagesNow(inc({ lastHigh: 114 * MIN, lastSeen: 114 * MIN }), until, 115 * MIN), false, 'nor is an incident that never sustained');
    const hotspot = inc({ lastHigh: 114 * MIN, lastSeen: 124 * MIN, sustainedFrom: 112 * MIN });
    assert.equal(pagesNow(hotspot, until, 109 * MIN), false, 'not during the hold');
    assert.equal(pagesNow(hotspot, until, 124 * MIN), true, 'a change that stays pages');
    assert.equal(pagesNow(catchUp, -Infinity, 100 * MIN), true, 'no hold: pages');
  });
});
