// When an incident held by an event outgrows what the events did to it. An event (a failover, a restart) holds the
// incidents it disturbs; after the hold an incident that stays open pages only on a run that lasts the sustained
// length, so the bursts that follow a restart stay quiet. The events' own disturbance is also a yardstick: a run
// that rises above the highest score any event's hold saw on the incident is more than an after-effect — a hotspot
// that began on the disturbed machine — and pages like a new incident, at the opening rule's persistence. A symptom
// (back-pressure from a hotspot elsewhere) has the same yardstick in everything it scored before: a run above it is
// more than the symptom, and pages unless its own cause says otherwise.

/** A stretch of time in which an event holds the machine's incidents: [from, to]. */
export interface HoldWindow {
  from: number;
  to: number;
}

/** Whether time `x` lies inside one of the holds. */
export function inHold(holds: readonly HoldWindow[], x: number): boolean {
  return holds.some((h) => h.from <= x && x <= h.to);
}

/**
 * The start of the incident's latest run that outgrew its holds (undefined: none): at least `minPoints` consecutive
 * points after `until` (the end of the hold that kept it from paging), none inside a hold, each scoring above every
 * point of the latest held stretch before it — the points inside the events' holds (`holds`: every hold on the
 * incident, the holding event's and those before and after it), and those from the incident's onset up to the first
 * hold or up to `until`, whichever comes first (a disturbance that began a moment before its event is the event's), one
 * stretch while they follow one another or come less than `apart` after one another (the enrichment passes the grace
 * period: a checkpoint that fails in a failover's aftermath is part of the failover's stretch).
 * What an incident does after an event is measured against what that event did, not against an earlier one: an
 * incident that opened at a failover and stayed open until a second failover compares a run after the second with the
 * second's disturbance (scores of one machine, which a retraining between them may have rescaled). A run that met the
 * rule (its first `minPoints` points) inside a later event's hold is that event's, as a new incident would be.
 * t (n,), score (n,): the incident's scores oldest first, from its onset.
 */
export function outgrownFrom(t: ArrayLike<number>, score: ArrayLike<number>, until: number, minPoints: number, holds: readonly HoldWindow[] = [], apart = 0): number | undefined {
  if (t.length !== score.length) throw new RangeError(`times (${t.length}) and scores (${score.length}) differ in length`);
  if (!(Number.isInteger(minPoints) && minPoints >= 1)) throw new RangeError(`minPoints must be a positive integer (got ${minPoints})`);
  const lead = holds.reduce((a, h) => Math.min(a, h.from), until); // up to it: the lead-in, part of the first stretch
  let yardstick = -Infinity; // the highest score of the latest held stretch so far
  let stretch = false; // whether the previous point lay in a held stretch
  let heldAt = -Infinity; // the latest held point
  let start = NaN;
  let length = 0;
  let latest: number | undefined;
  for (let k = 0; k < t.length; k++) {
    const s = score[k];
    const x = t[k];
    if (x <= lead || inHold(holds, x)) {
      if (!stretch && x - heldAt > apart) yardstick = -Infinity; // a new stretch: what the latest event did
      stretch = true;
      heldAt = x;
      if (Number.isFinite(s)) yardstick = Math.max(yardstick, s);
      length = 0; // a run that had not met the rule when a hold began is the hold's
      continue;
    }
    stretch = false;
    if (x > until && yardstick > -Infinity && Number.isFinite(s) && s > yardstick) {
      if (length++ === 0) start = x;
      if (length === minPoints) latest = start;
    } else length = 0;
  }
  return latest;
}

/**
 * The incident's latest run that rose above everything before it (undefined: none): at least `minPoints` consecutive
 * points outside the events' holds, each scoring above every earlier point of the incident (from its onset, those
 * inside a hold included), from its first point to the last that stays above them ([from, to]). A symptom's own
 * disturbance is everything it scored so far; a hotspot that begins on its machine rises above it — what a failover or
 * restart does inside its hold is the event's, as for a held incident (outgrownFrom). The incident's first run is not
 * one: nothing came before it to rise above.
 * t (n,), score (n,): the incident's scores oldest first, from its onset; holds: the events' holds on it.
 */
export function newHighFrom(t: ArrayLike<number>, score: ArrayLike<number>, minPoints: number, holds: readonly HoldWindow[] = []): { from: number; to: number } | undefined {
  if (t.length !== score.length) throw new RangeError(`times (${t.length}) and scores (${score.length}) differ in length`);
  if (!(Number.isInteger(minPoints) && minPoints >= 1)) throw new RangeError(`minPoints must be a positive integer (got ${minPoints})`);
  const above = (j: number, level: number): boolean => Number.isFinite(score[j]) && score[j] > level && !inHold(holds, t[j]);
  // before[k]: the highest score before point k (-Infinity: nothing came before it)
  const before = new Float64Array(t.length);
  for (let k = 0, m = -Infinity; k < t.length; k++) {
    before[k] = m;
    if (Number.isFinite(score[k])) m = Math.max(m, score[k]);
  }
  // the latest start whose first minPoints points rise above what came before it; one pass back, minPoints per start
  for (let k = t.length - minPoints; k >= 0; k--) {
    if (before[k] === -Infinity) break; // nor anything earlier
    let end = k;
    while (end < t.length && above(end, before[k])) end++;
    if (end - k >= minPoints) return { from: t[k], to: t[end - 1] };
  }
  return undefined;
}

/**
 * Whether a renewal's run [from, to] of a paged incident rose above what the events did to it: every point of the run
 * scores above every point of the incident that lay inside an event's hold before the run (true when none did: no
 * event disturbed it). After a failover or restart an open incident renews on the event's after-effects — the
 * catch-up once the hold is over — which tell the operator nothing new; a second hotspot rises above them.
 * t (n,), score (n,): the incident's scores oldest first; holds: the events' holds on it.
 */
export function runAboveHolds(t: ArrayLike<number>, score: ArrayLike<number>, from: number, to: number, holds: readonly HoldWindow[]): boolean {
  if (t.length !== score.length) throw new RangeError(`times (${t.length}) and scores (${score.length}) differ in length`);
  let yardstick = -Infinity; // the highest score inside a hold before the run
  for (let k = 0; k < t.length && t[k] < from; k++) {
    if (Number.isFinite(score[k]) && inHold(holds, t[k])) yardstick = Math.max(yardstick, score[k]);
  }
  if (yardstick === -Infinity) return true;
  let seen = 0;
  for (let k = 0; k < t.length; k++) {
    if (t[k] < from || t[k] > to) continue;
    if (!(Number.isFinite(score[k]) && score[k] > yardstick)) return false;
    seen++;
  }
  return seen > 0;
}
