// Crash consistency of `flinkscope watch`, as a crash would test it: the real CLI process is killed with SIGKILL at
// 24 seeded random moments while it catches up on a stored history (in committed steps of 20 rows per machine) and
// delivers alerts to a real loopback webhook, restarted after each kill, then left to finish. The store it leaves —
// every score, every incident, the alert outbox — equals the store of an uninterrupted run, and the webhook received
// every alert of the uninterrupted run (at least once; receivers de-duplicate by the alert's id).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../../src/store/index.js';
import { createDetector } from '../../../src/detectors/index.js';
import type { Sample } from '../../../src/core/sample.js';
import { receiver } from '../../helpers/webhook.js';

const ROOT = process.env.FLINKSCOPE_ROOT ?? '.';
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'flinkscope-crash-'));
const T0 = 1.7e12;
const at = (i: number): number => T0 + i * 60_000;
const KILLS = 24;

/** Runs the CLI to the end without blocking this process (the webhook receiver lives here). */
function run(args: string[]): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((r) => child.on('exit', (status) => {
    clearTimeout(timer);
    r({ status, stderr });
  }));
}

function watchArgs(db: string, url: string): string[] {
  return [CLI, 'watch', '--model', join(dir, 'z.model'), '--db', db, '--steps', '1', '--max-rows', '20', '--webhook', url, '--alert-rate', '100000/1m'];
}

async function dump(path: string): Promise<unknown> {
  const s = new SqliteStore(path);
  try {
    const scores = [];
    for (const m of await s.machines()) scores.push(await s.scores(m, 0, at(10_000)));
    return {
      scores,
      incidents: (await s.incidents({ limit: 500 })).items,
      outbox: (await s.alerts()).map((a) => [a.key, a.deliveredAt !== null]),
      nextIncident: await s.meta('nextIncident'),
    };
  } finally {
    await s.close();
  }
}

let rng = 20261202;
const rand = (): number => ((rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

describe('watch survives SIGKILL at random moments', { timeout: 600_000 }, () => {
  before(async () => {
    const store = new SqliteStore(join(dir, 'history.db'));
    const s: Sample[] = [];
    for (let m = 0; m < 8; m++) {
      for (let i = 0; i < 600; i++) {
        const h = i > 200 && i % 97 > 80 + (m % 5) ? 8 : 0;
        s.push({ ts: at(i), machine: `tm-${m}`, metric: 'cpu_load', value: Math.sin(i / 9 + m) + ((i * 7) % 5) * 0.05 + h }, { ts: at(i), machine: `tm-${m}`, metric: 'latency_ms', value: 50 + Math.cos(i / 7) + h * 10 });
      }
    }
    await store.insertSamples(s);
    const det = createDetector('zscore');
    await det.fit(await store.series('tm-0', ['cpu_load', 'latency_ms'], 0, at(199)), { threshold: { rule: 'fixed:6', of: () => 6 } });
    det.save(join(dir, 'z.model'));
    await store.close();
  });
  after(() => undefined);

  it(`${KILLS} kills and restarts leave the same scores, incidents and alerts as an uninterrupted run`, async () => {
    // the uninterrupted run
    copyFileSync(join(dir, 'history.db'), join(dir, 'a.db'));
    const ra = await receiver();
    const a = await run(watchArgs(join(dir, 'a.db'), ra.url));
    assert.equal(a.status, 0, a.stderr);
    const want = await dump(join(dir, 'a.db'));
    const w = want as { incidents: unknown[]; outbox: [string, boolean][] };
    assert.ok(w.incidents.length >= 10, `the history raises incidents (${w.incidents.length})`);
    assert.ok(w.outbox.every(([, delivered]) => delivered), 'the uninterrupted run delivered every alert');
    assert.deepEqual(new Set(ra.ids), new Set(w.outbox.map(([k]) => k)));
    ra.close();

    // the same, killed with SIGKILL and restarted each time. The kill moments are spread over the work: run k is
    // killed once the store holds at least target_k committed scores (24 seeded targets over the total), plus a
    // random 0–40 ms, so kills land between and inside steps, during scoring, commits and alert delivery.
    copyFileSync(join(dir, 'history.db'), join(dir, 'b.db'));
    const rb = await receiver();
    const total = (w as unknown as { scores: { t: number[] }[] }).scores.reduce((n, x) => n + x.t.length, 0);
    const targets = Array.from({ length: KILLS }, () => Math.floor(rand() * total)).sort((x, y) => x - y);
    const probe = new Database(join(dir, 'b.db'), { readonly: true });
    const scored = (): number => (probe.prepare('SELECT COUNT(*) AS n FROM scores').get() as { n: number }).n;
    let killedMidWork = 0;
    for (const target of targets) {
      const child = spawn(process.execPath, watchArgs(join(dir, 'b.db'), rb.url), { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      let code: number | null | undefined;
      const exited = new Promise<void>((r) => child.on('exit', (c) => { code = c; r(); }));
      while (code === undefined && scored() < target) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 40)));
      if (code === undefined) {
        child.kill('SIGKILL');
        await exited;
        if (code === null) killedMidWork++;
      } else assert.equal(code, 0, err);
    }
    probe.close();
    const b = await run(watchArgs(join(dir, 'b.db'), rb.url));
    assert.equal(b.status, 0, b.stderr);
    rb.close();
    assert.ok(killedMidWork >= 20, `${killedMidWork} of ${KILLS} runs were killed before they finished`);
    const got = await dump(join(dir, 'b.db'));
    assert.deepEqual(got, want);
    assert.deepEqual(new Set(rb.ids), new Set(ra.ids), 'every alert arrived (duplicates allowed, none missing, none extra)');
  });
});
