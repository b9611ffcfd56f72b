// The test runner (scripts/run-tests.mjs) itself: it gives every test process one temporary directory for the run and
// removes it however the run ends — at the end, when a test fails, and when the runner is stopped by a signal (the
// test processes stop too) — and it warns when the disk is short. Each case runs the real runner on a directory of
// stand-in compiled tests (--dist).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';

const ROOT = resolve(process.env.FLINKSCOPE_ROOT ?? '.');
const RUNNER = join(ROOT, 'scripts', 'run-tests.mjs');

/** A dist directory with one unit test file (an ES module: `body(mark)`, where the statement `mark` writes the test
 *  process's pid and TMPDIR to `f.mark`), and a TMPDIR the runner makes its run's directory in; both removed by `done`. */
function fixture(body: (mark: string) => string): { dist: string; tmp: string; mark: string; done: () => void } {
  const base = mkdtempSync(join(tmpdir(), 'runner-'));
  const dist = join(base, 'dist');
  const markFile = join(base, 'mark.json');
  const mark = `writeFileSync(${JSON.stringify(markFile)}, JSON.stringify({ pid: process.pid, tmp: process.env.TMPDIR }));`;
  mkdirSync(join(dist, 'test', 'unit'), { recursive: true });
  writeFileSync(join(dist, 'test', 'unit', 'stand-in.test.js'), `import { test } from 'node:test';\nimport { writeFileSync } from 'node:fs';\n${body(mark)}\n`);
  const tmp = join(base, 'tmp');
  mkdirSync(tmp);
  return { dist, tmp, mark: markFile, done: () => rmSync(base, { recursive: true, force: true }) };
}

/** Starts the runner on `f`; `group`: in a process group of its own (as a CI job or a shell's job is). */
function run(f: { dist: string; tmp: string }, env: Record<string, string> = {}, group = false) {
  // without the variable node's test runner sets for the files it runs: a `node --test` under it would not run its own
  const { NODE_TEST_CONTEXT: _ctx, ...outer } = process.env;
  const child = spawn(process.execPath, [RUNNER, '--unit', '--dist', f.dist], { env: { ...outer, TMPDIR: f.tmp, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: group });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null, out }));
  return { child, exit };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('a passing run gives its tests one TMPDIR of its own and removes it', async () => {
  const f = fixture((mark) => `test('marks', () => { ${mark} writeFileSync(process.env.TMPDIR + '/left-behind', 'x'); });`);
  try {
    const r = await run(f).exit;
    assert.equal(r.code, 0, r.out);
    const m = JSON.parse(readFileSync(f.mark, 'utf8')) as { tmp: string };
    assert.ok(m.tmp.startsWith(join(f.tmp, 'flinkscope-test-')), `the test's TMPDIR ${m.tmp} is the run's own directory`);
    assert.deepEqual(readdirSync(f.tmp), [], 'the run directory and what the test left in it are gone');
    assert.doesNotMatch(r.out, /GiB free/);
  } finally {
    f.done();
  }
});

test('a failing run exits non-zero and still removes its directory', async () => {
  const f = fixture(() => `test('fails', () => { throw new Error('on purpose'); });`);
  try {
    const r = await run(f).exit;
    assert.equal(r.code, 1, r.out);
    assert.deepEqual(readdirSync(f.tmp), []);
  } finally {
    f.done();
  }
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  // a runner that does not act on the signal (as one that waited in spawnSync did) fails here rather than hanging
  test(`${sig} to the runner stops the test processes, removes the directory and exits 128 + the signal's number`, { timeout: 90_000 }, async () => {
    const f = fixture((mark) => `test('hangs', async () => { ${mark} await new Promise(() => setInterval(() => {}, 1000)); });`);
    const r = run(f);
    let pid = 0;
    try {
      await waitFor(() => existsSync(f.mark), 'the stand-in test to start');
      const m = JSON.parse(readFileSync(f.mark, 'utf8')) as { pid: number; tmp: string };
      pid = m.pid;
      assert.ok(existsSync(m.tmp));
      r.child.kill(sig); // the runner only, not its process group
      const res = await Promise.race([r.exit, new Promise<null>((ok) => setTimeout(() => ok(null), 45_000))]);
      assert.ok(res, `the runner is still running 45 s after ${sig}`);
      assert.equal(res.code, sig === 'SIGTERM' ? 143 : 130, res.out);
      await waitFor(() => !alive(m.pid), 'the test process to stop');
      assert.deepEqual(readdirSync(f.tmp), [], 'the run directory is gone');
    } finally {
      r.child.kill('SIGKILL');
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      f.done();
    }
  });
}

// a test that ignores SIGTERM (a stuck clean-up) gets SIGKILL after the grace period (FLINKSCOPE_STOP_GRACE_MS, 20 s
// by default): the runner must not leave it running, orphaned, once node's test runner is killed
test('a test that ignores SIGTERM is killed after the grace period, with node\'s test runner', { timeout: 90_000 }, async () => {
  const f = fixture((mark) => `process.on('SIGTERM', () => {});\ntest('ignores SIGTERM', async () => { ${mark} await new Promise(() => setInterval(() => {}, 1000)); });`);
  const r = run(f, { FLINKSCOPE_STOP_GRACE_MS: '1500' });
  let pid = 0;
  try {
    await waitFor(() => existsSync(f.mark), 'the stand-in test to start');
    pid = (JSON.parse(readFileSync(f.mark, 'utf8')) as { pid: number }).pid;
    r.child.kill('SIGTERM');
    const res = await Promise.race([r.exit, new Promise<null>((ok) => setTimeout(() => ok(null), 45_000))]);
    assert.ok(res, 'the runner is still running 45 s after SIGTERM');
    assert.equal(res.code, 143, res.out);
    await waitFor(() => !alive(pid), 'the test that ignored SIGTERM to be killed');
    assert.deepEqual(readdirSync(f.tmp), [], 'the run directory is gone');
  } finally {
    r.child.kill('SIGKILL');
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    f.done();
  }
});

// a job killed as a whole (a CI timeout, `kill -- -PGID`) takes its tests with it: the runner keeps them in its group
test('SIGKILL to the runner\'s process group reaches the test processes', { timeout: 90_000 }, async () => {
  const f = fixture((mark) => `test('hangs', async () => { ${mark} await new Promise(() => setInterval(() => {}, 1000)); });`);
  const r = run(f, {}, true);
  let pid = 0;
  try {
    await waitFor(() => existsSync(f.mark), 'the stand-in test to start');
    pid = (JSON.parse(readFileSync(f.mark, 'utf8')) as { pid: number }).pid;
    process.kill(-r.child.pid!, 'SIGKILL');
    await r.exit;
    await waitFor(() => !alive(pid), 'the test process to die with its group');
  } finally {
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    f.done();
  }
});

test('it warns when less than FLINKSCOPE_MIN_FREE_GIB is free, and runs anyway', async () => {
  const f = fixture(() => `test('passes', () => {});`);
  try {
    const r = await run(f, { FLINKSCOPE_MIN_FREE_GIB: String(2 ** 40) }).exit;
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /warning: only [\d.]+ GiB free under .*No space left on device/);
    assert.deepEqual(readdirSync(f.tmp), []);
  } finally {
    f.done();
  }
});

test('a FLINKSCOPE_STOP_GRACE_MS that is not a number of milliseconds: a clear error, no run', async () => {
  const f = fixture((mark) => `test('marks', () => { ${mark} });`);
  try {
    const r = await run(f, { FLINKSCOPE_STOP_GRACE_MS: 'soon' }).exit;
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /FLINKSCOPE_STOP_GRACE_MS must be a number of milliseconds ≥ 0 \(got soon\)/);
    assert.ok(!existsSync(f.mark), 'no test ran');
    assert.deepEqual(readdirSync(f.tmp), [], 'no run directory left behind');
  } finally {
    f.done();
  }
});

test('no test files: a clear error', async () => {
  const f = fixture(() => '');
  try {
    rmSync(join(f.dist, 'test'), { recursive: true });
    const r = await run(f).exit;
    assert.equal(r.code, 1);
    assert.match(r.out, /no test files found under .*npm run build/);
  } finally {
    f.done();
  }
});
