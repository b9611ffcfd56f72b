#!/usr/bin/env node
// Diagnoses the product path's incidents against the ground truth (issue #14): for each incident that matches no
// page-worthy fault, what it is — during an event, the tail / a second piece of a real hotspot on the same machine,
// a symptom of a hotspot on another machine (an incident open there on a shared job at the same time), or noise (with
// the channel that drove it and whether that channel was flat in training); for each missed hotspot, how high its
// machine's score went vs the opening level and whether another machine raised the incident instead.
// Usage (after npm run build):
//   node scripts/diagnose-incidents.mjs demo [seed]                 (the synthetic demo cluster, seed 7 by default)
//   node scripts/diagnose-incidents.mjs 'flink-lab:datasets/flink-lab/s201?train=0.6'
import { runDemo, runLabDemo, syntheticReplay } from '../dist/src/app/demo.js';
import { labReplayOf } from '../dist/src/app/lab-replay.js';
import { generateCluster } from '../dist/src/data/index.js';
import { alarmLevels } from '../dist/src/app/alarms.js';
import { loadDetector } from '../dist/src/detectors/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const spec = process.argv[2] ?? 'demo';
const out = mkdtempSync(join(tmpdir(), 'diag-'));
let r, c;
if (spec === 'demo') {
  const seed = Number(process.argv[3] ?? 7);
  r = await runDemo({ machines: 12, days: 4, seed, epochs: 4, out, watch: process.env.SUSTAIN ? { sustainMs: Number(process.env.SUSTAIN) } : undefined });
  c = syntheticReplay(generateCluster({ machines: 12, days: 4, seed, contamination: 0.1 }));
} else {
  r = await runLabDemo({ epochs: 4, out, dataset: spec, watch: process.env.SUSTAIN ? { sustainMs: Number(process.env.SUSTAIN) } : undefined });
  c = labReplayOf(spec);
}
const slack = c.slackMs ?? 600_000;
const levels = alarmLevels(loadDetector(r.modelPath));
const real = c.faults.filter((f) => f.page);
const events = c.faults.filter((f) => !f.page);
const match = (i, f, s = slack) => f.machines.includes(i.machine) && i.onset < f.end && i.lastSeen >= f.start - s;
const machineOf = new Map(c.machines.map((m) => [m.name, m]));
const sharesJob = (a, b) => (machineOf.get(a)?.jobs ?? []).some((j) => (machineOf.get(b)?.jobs ?? []).includes(j));
const iso = (t) => new Date(t).toISOString().slice(5, 19);
/** Whether a channel of a machine's training part was (near-)constant: its distinct values and spread. */
function trainSpread(machine, channel) {
  const s = machineOf.get(machine).train;
  const ch = s.channels.indexOf(channel);
  if (ch < 0) return 'n/a';
  const C = s.channels.length;
  const v = [];
  for (let t = 0; t < s.timestamps.length; t++) { const x = s.values[t * C + ch]; if (Number.isFinite(x)) v.push(x); }
  v.sort((a, b) => a - b);
  const q = (p) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
  return `train p1/p50/p99 ${q(0.01).toPrecision(3)}/${q(0.5).toPrecision(3)}/${q(0.99).toPrecision(3)}`;
}
const counts = {};
console.log(`# ${spec}: ${r.incidents.length} incidents, ${r.incidents.filter((i) => i.paged).length} paged; ${real.length} hotspots, ${events.length} events; slack ${slack / 60000} min`);
for (const i of r.incidents) {
  const hit = real.filter((f) => match(i, f));
  let what;
  if (hit.length) what = `REAL ${hit.map((f) => `${f.id}(${f.kind})`).join(',')}`;
  else {
    const ev = events.filter((f) => match(i, f));
    const near = real.filter((f) => match(i, f, 4 * slack) || (f.machines.includes(i.machine) && i.onset >= f.end && i.onset < f.end + 3 * slack));
    const others = r.incidents.filter((o) => o.id !== i.id && o.machine !== i.machine && o.onset <= i.lastSeen && o.lastSeen >= i.onset - slack && real.some((f) => match(o, f)));
    const top = i.explanation[0];
    if (ev.length) what = `EVENT ${ev.map((f) => `${f.id}(${f.kind})`).join(',')}`;
    else if (others.length && others.some((o) => sharesJob(o.machine, i.machine))) what = `SYMPTOM of ${others.map((o) => `${o.id}@${o.machine}`).join(',')}${i.cause ? ` (cause says ${i.cause.machine}${i.cause.anomalous ? ', anomalous' : ''})` : ' (no cause)'}`;
    else if (near.length) what = `NEAR/TAIL of ${near.map((f) => `${f.id}(${f.kind} ${iso(f.start)}–${iso(f.end)})`).join(',')}`;
    else what = 'NOISE';
    what += ` | top ${top?.name} ${(100 * (top?.share ?? 0)).toFixed(0)}% (${top ? trainSpread(i.machine, top.name) : ''})`;
    counts[what.split(' ')[0]] = (counts[what.split(' ')[0]] ?? 0) + 1;
  }
  console.log(`${i.id} ${i.machine} ${i.type} ${iso(i.onset)}–${iso(i.lastSeen)} peak ${i.peak?.toFixed?.(2)} high ${levels.high(i.machine).toFixed(2)} paged=${i.paged}${i.symptomOf ? ` symptomOf=${i.symptomOf}` : ''}${i.afterEffectOf ? ` afterEffectOf=${i.afterEffectOf}` : ''} ev=${i.events.length} cause=${i.cause?.machine ?? '-'}: ${what}`);
}
console.log('false incidents by class:', JSON.stringify(counts));
for (const f of real) {
  if (r.incidents.some((i) => match(i, f) && !i.afterEffectOf)) continue; // an after-effect finds no hotspot (src/eval/incidents.ts)
  const m = f.machines[0];
  const s = await r.store.scores(m, f.start - slack, f.end + slack);
  const max = s.score.length ? Math.max(...s.score) : NaN;
  const elsewhere = r.incidents.filter((i) => i.machine !== m && i.onset < f.end + slack && i.lastSeen >= f.start - slack);
  console.log(`MISSED ${f.id} ${f.kind} ${m} ${iso(f.start)}–${iso(f.end)}: max score ${max.toFixed(2)} vs high ${levels.high(m).toFixed(2)}; incidents elsewhere: ${elsewhere.map((i) => `${i.id}@${i.machine}`).join(',') || 'none'}`);
}
console.log(JSON.stringify({ incidents: r.metrics.incidents, symptoms: r.metrics.symptoms, after_effects: r.metrics.after_effects, precision: r.metrics.incident_precision, recall: r.metrics.fault_recall, pages: r.metrics.pages, false_pages: r.metrics.false_pages, events_paged: r.metrics.events_paged }));
