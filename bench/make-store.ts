// `node dist/bench/make-store.js OUT.db [machines=200] [days=7] [metrics=10] [stepS=60]`: a large store for bench:api —
// machines × days of samples at one interval, a score per sample (with the level held on the alarm scale), machine status, a few incidents
// per machine and a z-score model — written through the Store interface (insertSamples, commitStep), as the
// collector and the watcher would. Values are cheap deterministic waves; the point is the store's size, not its realism.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite.js';
import { createDetector } from '../src/detectors/index.js';
import type { Sample } from '../src/core/sample.js';
import type { StepWrite } from '../src/store/store.js';
import { holdNext, inUnits, unitKey } from '../src/core/units.js';
import type { Incident, IncidentDetail } from '../src/core/incident.js';

const [out = '.flinkscope/bench/api.db', machines = 200, days = 7, nMetrics = 10, stepS = 60] = process.argv.slice(2).map((a, i) => (i === 0 ? a : Number(a))) as [string, number, number, number, number];
mkdirSync(dirname(out), { recursive: true });
const store = new SqliteStore(out);
const step = stepS * 1000;
const T0 = Date.UTC(2026, 0, 1);
const rows = Math.floor((days * 86_400_000) / step);
const metrics = Array.from({ length: nMetrics }, (_, k) => `metric_${k}`);
const hot = (m: number, i: number): boolean => m % 17 === 3 && i % 2000 > 1700;
const t0 = performance.now();
const det = createDetector('zscore');
await det.fit({ name: 'fit', timestamps: Float64Array.from({ length: 64 }, (_, i) => T0 + i * step), channels: ['x'], values: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)), meta: {} }, { threshold: { rule: 'fixed:3', of: () => 3 } });
const modelPath = join(dirname(out), 'bench-zscore.model');
det.save(modelPath);
// each machine's unit as a watcher keeps it (src/core/units.ts): its scores are stored on the alarm scale too
const unit = [2, 3] as const;
const modelId = await store.addModel('zscore', modelPath, { reason: 'bench store', ...Object.fromEntries(Array.from({ length: machines }, (_, m) => [unitKey(`tm-${String(m).padStart(3, '0')}`), unit])) });
const chunk = 240; // rows per delivery
let incidents = 0;
const lastUnits = new Map<string, number[]>();
for (let a = 0; a < rows; a += chunk) {
  const batch: Sample[] = [];
  const w: StepWrite = { scores: [], modelId, scorerStates: [], incidents: [], alerts: [], status: [], meta: {} };
  const end = Math.min(rows, a + chunk);
  for (let m = 0; m < machines; m++) {
    const machine = `tm-${String(m).padStart(3, '0')}`;
    const pts: { t: number; score: number; units: number }[] = [];
    for (let i = a; i < end; i++) {
      const ts = T0 + i * step;
      for (let k = 0; k < nMetrics; k++) batch.push({ ts, machine, metric: metrics[k], value: 50 + 20 * Math.sin(i / 60 + k + m) + (hot(m, i) ? 40 : 0) });
      const score = 1 + Math.abs(Math.sin(i / 30 + m)) + (hot(m, i) ? 4 : 0);
      pts.push({ t: ts, score, units: inUnits(score, unit) });
    }
    // each point at the level the machine held, as the watcher stores it (the lowest of it and the points before it)
    const { held, kept } = holdNext(lastUnits.get(machine) ?? [], pts.map((p) => p.units));
    lastUnits.set(machine, kept);
    pts.forEach((p, k) => (p.units = held[k]));
    w.scores.push({ machine, points: pts });
    w.status.push({ machine, lastTs: T0 + (end - 1) * step, lastScore: pts[pts.length - 1].score, risk: pts[pts.length - 1].score / 3, openIncidents: 0 });
    for (let i = a; i < end; i++) {
      if (hot(m, i) && !hot(m, i - 1)) {
        const inc: Incident & IncidentDetail = {
          id: `inc-${++incidents}`, machine, state: 'resolved', type: 'sustained-high', onset: T0 + i * step, lastSeen: T0 + (i + 298) * step, resolvedAt: T0 + (i + 300) * step,
          peak: 5, segments: 1, explanation: metrics.slice(0, 3).map((name, j) => ({ name, share: [0.6, 0.3, 0.1][j], meanZ: 4 - j })), jobs: [`job-${m % 7}`], movers: [], cause: null, events: [], paged: true,
        };
        w.incidents.push(inc);
      }
    }
  }
  await store.insertSamples(batch);
  await store.commitStep(w);
  process.stderr.write(`\r${end}/${rows} rows per machine`);
}
await store.recordPlacement(Object.fromEntries(Array.from({ length: machines }, (_, m) => [`tm-${String(m).padStart(3, '0')}`, [`job-${m % 7}`]])), T0);
const st = await store.status();
console.log(JSON.stringify({ case: 'make-store', out, machines, days, metrics: nMetrics, step_s: stepS, samples: st.samples, incidents, bytes: st.bytes, seconds: Math.round((performance.now() - t0) / 1000) }));
await store.close();
