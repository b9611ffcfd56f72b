// `npm run bench:ingest`: samples per second written into the embedded store (SQLite, WAL, one transaction per
// batch of one poll), for a cluster of machines × catalogue metrics, plus the cost of re-delivered (duplicate) batches.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite.js';
import { CATALOGUE } from '../src/core/catalogue.js';
import type { Sample } from '../src/core/sample.js';

const machines = Number(process.argv[2] ?? 500);
const polls = Number(process.argv[3] ?? 60);
const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'flinkscope-ingest-')), 'bench.db'));
const batch = (p: number): Sample[] => {
  const out: Sample[] = [];
  for (let m = 0; m < machines; m++) for (const row of CATALOGUE) out.push({ ts: 1.7e12 + p * 10_000, machine: `tm-${m}`, metric: row.name, value: Math.random() });
  return out;
};
let n = 0;
const t0 = performance.now();
for (let p = 0; p < polls; p++) n += await store.insertSamples(batch(p));
const ms = performance.now() - t0;
const t1 = performance.now();
const dup = await store.insertSamples(batch(0));
const dupMs = performance.now() - t1;
console.log(JSON.stringify({ case: 'ingest-sqlite', impl: 'flinkscope-store', machines, metrics: CATALOGUE.length, polls, samples: n, samples_per_s: Math.round(n / (ms / 1000)), duplicate_batch_ms: Math.round(dupMs), duplicates_stored: dup }));
await store.close();
