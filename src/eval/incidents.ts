// Incident-level evaluation: the numbers an on-call engineer reads — how many raised incidents were real, how many
// faults were found and how late, how often a page woke someone for nothing, and whether known events (a TaskManager
// failover, a deploy) paged. Pure: intervals in, numbers out. Turning scores into incidents is the product's online
// logic (src/inspect), injected into the runner by a higher layer; it is never re-implemented here.
//
// Time is epoch ms (any unit works if used consistently). A fault covers [start, end); an incident covers
// [onset, end] (end = its last anomalous point). An incident MATCHES a fault when it is on one of the fault's machines
// and onset < fault.end and end ≥ fault.start − slack: an incident that starts up to `slack` before a fault is the
// same alarm a moment early, and its delay counts as 0.
//   incident precision  = incidents matching a page-worthy fault (page = true) / all incidents; an incident the
//                         product recorded as a SYMPTOM of another (back-pressure from a hotspot on another machine,
//                         shown inside that hotspot's incident, never paged on its own) is not a separate incident:
//                         it is counted apart (`symptoms`) and left out of precision, but it finds a fault on its
//                         machine like any incident (the operator sees it, under its cause); an incident the product
//                         recorded as an event's AFTER-EFFECT (held by a restart's / failover's grace period and never
//                         paged: shown with the event as its expected consequence) is not a separate incident either:
//                         counted apart (`after_effects`), left out of precision, and it finds NO fault (the operator
//                         was told it was expected: a hotspot seen only as an after-effect counts as missed)
//   fault recall        = page-worthy faults matched by ≥ 1 incident / page-worthy faults (overall and per kind)
//   recall by new alarms = page-worthy faults matched by ≥ 1 incident that began or paged for it (onset ≥
//                         start − slack, or paged or sent an update in [start − slack, end)) / page-worthy
//                         faults: an incident open
//                         before the fault (an earlier hotspot's that had not closed, an alarm that never ends)
//                         matches it above, yet told the operator nothing new — reported next to fault recall, as
//                         the alarm share is
//   detection delay     = per detected fault max(0, its earliest new alarm − start): the onset of a matching incident
//                         that began for it, or the time one paged or sent an update during it (the recall by new
//                         alarms' events); 0 for a fault matched only by an incident open from before (found, with
//                         nothing new told: see recall by new alarms); median per kind and overall
//   false pages         = paged incidents matching no page-worthy fault (a page during an event is one), per
//                         machine-day of observation (Σ observed spans / 24 h)
//   false updates       = updates (a paged incident that rose again while open notified again) at a time when no
//                         page-worthy fault of its machine was on ([start − slack, end)); with the false pages, the
//                         false notifications per machine-day
//   events paged        = events (page = false: failovers, deploys, …) matched by ≥ 1 PAGED incident whose page
//                         went out at or after the event's start / events: a page sent before the event began was
//                         not the event's (it is still a false page unless it matches a hotspot); an incident that
//                         also matches a page-worthy fault which began no later than the event was paged for that
//                         fault (still open when the event came), not for the event; and a page that went out during
//                         a page-worthy fault of its machine ([start − slack, end)) is that fault's, as recall by new
//                         alarms counts it, even when the incident began with the event (held by its grace period,
//                         then paged once a hotspot came): one page, one reason
import { median } from '../core/stats.js';

export interface IncidentSpan {
  machine: string;
  onset: number;
  end: number;
  /** Whether this incident paged someone (alerts above the paging policy), not only appeared on the dashboard. */
  paged: boolean;
  /** When it paged (a held incident pages after its hold); its onset when not given. */
  pagedAt?: number;
  /** When it notified again while open (an update: it renewed after its page; src/app/enrich.ts updatesOf). */
  updates?: number[];
  /** Recorded as a symptom of another incident (src/inspect/propagation.ts symptomOf): not a separate incident. */
  symptom?: boolean;
  /** Recorded as an event's after-effect (held by its grace period, never paged; src/app/enrich.ts afterEffectOf):
   *  not a separate incident, and it finds no fault. */
  afterEffect?: boolean;
}

export interface Fault {
  id: string;
  /** What it was ('slow-rise', 'plateau', 'anomaly', 'failover', …): recall and delay are reported per kind. */
  kind: string;
  machines: string[];
  start: number;
  end: number;
  /** true: a fault someone should be paged for; false: an event (failover, deploy) that should NOT page. */
  page: boolean;
}

/** How long each machine was watched: [from, to). */
export interface ObservedSpan {
  machine: string;
  from: number;
  to: number;
}

export interface KindMetrics {
  faults: number;
  detected: number;
  recall: number;
  /** Median detection delay over detected faults of this kind (NaN if none was detected). */
  median_delay: number;
}

export interface IncidentMetrics {
  slack: number;
  /** Incidents the operator sees as separate ones (symptoms shown inside their cause's incident are not). */
  incidents: number;
  incident_precision: number;
  /** Incidents recorded as symptoms of another one (not in `incidents`, not in precision). */
  symptoms: number;
  /** Incidents recorded as events' after-effects (not in `incidents`, not in precision, finding no fault). */
  after_effects: number;
  faults: number;
  fault_recall: number;
  /** Page-worthy faults matched by an incident that began or paged for them (onset ≥ start − slack, or paged or
   *  sent an update in [start − slack, end)) / page-worthy faults. */
  fault_recall_new: number;
  median_delay: number;
  by_kind: Record<string, KindMetrics>;
  pages: number;
  false_pages: number;
  machine_days: number;
  false_pages_per_machine_day: number;
  events: number;
  events_paged: number;
  /** Updates sent (a paged incident that rose again while open), and those at a time when no page-worthy fault of
   *  its machine was on (from start − slack to end): a false notification like a false page. */
  updates: number;
  false_updates: number;
  /** (false pages + false updates) per machine-day: every notification that woke someone for nothing. */
  false_notifications_per_machine_day: number;
  /** Share of the watched machine-time that lay inside an incident: an alarm that never ends matches every fault,
   *  and this is where it shows (a useful inspector keeps it small). */
  alarm_share: number;
}

const DAY = 86_400_000;

export class IncidentInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncidentInputError';
  }
}

function check(incidents: IncidentSpan[], faults: Fault[], observed: ObservedSpan[], slack: number): void {
  const bad = (m: string): never => {
    throw new IncidentInputError(m);
  };
  if (!(Number.isFinite(slack) && slack >= 0)) bad(`slack must be a finite number ≥ 0, got ${slack}`);
  const watched = new Set<string>();
  for (const o of observed) {
    if (watched.has(o.machine)) bad(`machine '${o.machine}' has two observed spans (give one per machine)`);
    if (!(Number.isFinite(o.from) && Number.isFinite(o.to) && o.to > o.from)) bad(`observed span of '${o.machine}' is not from < to: [${o.from}, ${o.to})`);
    watched.add(o.machine);
  }
  incidents.forEach((i, k) => {
    if (!(Number.isFinite(i.onset) && Number.isFinite(i.end) && i.end >= i.onset)) bad(`incident ${k} on '${i.machine}' has end ${i.end} before onset ${i.onset}`);
    if (!watched.has(i.machine)) bad(`incident ${k} is on machine '${i.machine}', which has no observed span`);
    if (i.pagedAt !== undefined && !(Number.isFinite(i.pagedAt) && i.pagedAt >= i.onset)) bad(`incident ${k} on '${i.machine}' has page time ${i.pagedAt}: it must be a time at or after its onset ${i.onset}`);
    for (const t of i.updates ?? []) {
      if (!i.paged) bad(`incident ${k} on '${i.machine}' has updates but never paged (only a paged incident notifies again)`);
      if (!(Number.isFinite(t) && t > (i.pagedAt ?? i.onset))) bad(`incident ${k} on '${i.machine}' has an update at ${t}: it must be a time after its page ${i.pagedAt ?? i.onset}`);
    }
  });
  const ids = new Set<string>();
  for (const f of faults) {
    if (ids.has(f.id)) bad(`fault id '${f.id}' is given twice`);
    ids.add(f.id);
    if (!(Number.isFinite(f.start) && Number.isFinite(f.end) && f.end > f.start)) bad(`fault '${f.id}' is not start < end: [${f.start}, ${f.end})`);
    if (f.machines.length === 0) bad(`fault '${f.id}' lists no machines`);
    for (const m of f.machines) if (!watched.has(m)) bad(`fault '${f.id}' is on machine '${m}', which has no observed span`);
  }
}

const matches = (i: IncidentSpan, f: Fault, slack: number): boolean => f.machines.includes(i.machine) && i.onset < f.end && i.end >= f.start - slack;

/** Machine-time inside incidents ([onset, end] merged per machine, clipped to when it was watched). */
function alarmedMs(incidents: IncidentSpan[], observed: ObservedSpan[]): number {
  let total = 0;
  for (const o of observed) {
    const spans = incidents.filter((i) => i.machine === o.machine).map((i) => [Math.max(i.onset, o.from), Math.min(i.end, o.to)] as const)
      .filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
    let end = -Infinity;
    for (const [a, b] of spans) {
      if (b <= end) continue;
      total += b - Math.max(a, end);
      end = b;
    }
  }
  return total;
}

export function incidentMetrics(incidents: IncidentSpan[], faults: Fault[], observed: ObservedSpan[], slack: number): IncidentMetrics {
  check(incidents, faults, observed, slack);
  const real = faults.filter((f) => f.page);
  const events = faults.filter((f) => !f.page);
  const own = incidents.filter((i) => !i.symptom && !i.afterEffect);
  const hits = own.filter((i) => real.some((f) => matches(i, f, slack)));
  const shown = incidents.filter((i) => !i.afterEffect); // what finds a fault: incidents and symptoms
  const pages = incidents.filter((i) => i.paged);
  const falsePages = pages.filter((i) => !real.some((f) => matches(i, f, slack)));
  // a notification at t is for the fault when it went out from the slack before it to its end
  const during = (t: number, f: Fault): boolean => t >= f.start - slack && t < f.end;
  const pagedIn = (i: IncidentSpan, f: Fault): boolean => i.paged && during(i.pagedAt ?? i.onset, f);
  const updatesIn = (i: IncidentSpan, f: Fault): number[] => (i.paged ? (i.updates ?? []).filter((t) => during(t, f)) : []);
  // when an incident told the operator about the fault: it began for it, or paged or sent an update during it
  const alarmsFor = (i: IncidentSpan, f: Fault): number[] => [
    ...(i.onset >= f.start - slack ? [i.onset] : []), ...(pagedIn(i, f) ? [i.pagedAt ?? i.onset] : []), ...updatesIn(i, f)];
  // per fault: the delay of its earliest new alarm; 0 when only an incident open from before matched it (found, with
  // nothing new to tell); null when none matched
  const delays = new Map<Fault, number | null>();
  let foundNew = 0;
  for (const f of real) {
    const hit = shown.filter((i) => matches(i, f, slack));
    const told = hit.flatMap((i) => alarmsFor(i, f));
    if (told.length) foundNew++;
    delays.set(f, told.length ? Math.max(0, Math.min(...told) - f.start) : hit.length ? 0 : null);
  }
  const found = (fs: Fault[]): number[] => fs.map((f) => delays.get(f)).filter((d): d is number => d !== null && d !== undefined);
  const byKind: Record<string, KindMetrics> = {};
  for (const kind of [...new Set(real.map((f) => f.kind))].sort()) {
    const fs = real.filter((f) => f.kind === kind);
    const d = found(fs);
    byKind[kind] = { faults: fs.length, detected: d.length, recall: d.length / fs.length, median_delay: median(d) };
  }
  const all = found(real);
  const updates = pages.flatMap((i) => (i.updates ?? []).map((t) => ({ machine: i.machine, t })));
  const falseUpdates = updates.filter((u) => !real.some((f) => f.machines.includes(u.machine) && during(u.t, f))).length;
  const watchedMs = observed.reduce((s, o) => s + (o.to - o.from), 0);
  const machineDays = watchedMs / DAY;
  // a page is the event's unless a page-worthy fault explains it: one it matches that began no later than the event
  // (open when the event came), or one it went out during (the page recall by new alarms credits to that fault)
  const pagedFor = (i: IncidentSpan, e: Fault): boolean => matches(i, e, slack) && (i.pagedAt ?? i.onset) >= e.start &&
    !real.some((f) => matches(i, f, slack) && (f.start <= e.start || pagedIn(i, f)));
  const eventsPaged = events.filter((e) => pages.some((i) => pagedFor(i, e))).length;
  return {
    slack,
    incidents: own.length,
    incident_precision: own.length ? hits.length / own.length : NaN,
    symptoms: incidents.filter((i) => i.symptom && !i.afterEffect).length,
    after_effects: incidents.filter((i) => i.afterEffect).length,
    faults: real.length,
    fault_recall: real.length ? all.length / real.length : NaN,
    fault_recall_new: real.length ? foundNew / real.length : NaN,
    median_delay: median(all),
    by_kind: byKind,
    pages: pages.length,
    false_pages: falsePages.length,
    machine_days: machineDays,
    false_pages_per_machine_day: machineDays > 0 ? falsePages.length / machineDays : NaN,
    events: events.length,
    events_paged: eventsPaged,
    updates: updates.length,
    false_updates: falseUpdates,
    false_notifications_per_machine_day: machineDays > 0 ? (falsePages.length + falseUpdates) / machineDays : NaN,
    alarm_share: watchedMs > 0 ? alarmedMs(incidents, observed) / watchedMs : NaN,
  };
}
