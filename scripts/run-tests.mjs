// Runs the compiled test files (dist/test/**/*.test.js) with node's test runner.
//   --unit         only test/unit
//   --integration  only test/integration (starts real Flink / Prometheus / Chromium; README, "Tests")
//   --dist DIR     where the compiled tests are (default: dist; the runner's own test points it elsewhere)
// Before integration tests it makes sure the system packages they need are installed (scripts/ensure-system-deps.sh).
// The tests' temporary files (stores, recordings, Flink / Kafka / PostgreSQL data directories) go to one directory made
// for this run (TMPDIR for every test process), removed when the run ends however it ends: a test that forgets to
// clean up cannot fill the machine's disk over many runs. SIGINT, SIGTERM or SIGHUP stop the test processes (the
// signal is passed on to node's test runner, which stops the files it runs, so each test's own clean-up runs), then
// the directory goes.
// FLINKSCOPE_MIN_FREE_GIB (default 2): warn when less is free under the temporary directory.
// FLINKSCOPE_STOP_GRACE_MS (default 20000): how long the test processes get after the signal before SIGKILL (the test
// files too: node's test runner may exit on the signal before a file that ignores it).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, existsSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.includes('--unit') ? 'unit' : args.includes('--integration') ? 'integration' : null;
const distAt = args.indexOf('--dist');
const dist = distAt >= 0 ? resolve(args[distAt + 1] ?? '') : join(root, 'dist');

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}
const groups = only ? [only] : ['unit', 'integration'];
const files = groups.flatMap((g) => walk(join(dist, 'test', g)).sort());
if (files.length === 0) {
  console.error(`no test files found under ${join(dist, 'test')}: run \`npm run build\` first`);
  process.exit(1);
}
// checked before anything is installed or made
const stopGraceMs = Number(process.env.FLINKSCOPE_STOP_GRACE_MS ?? 20_000);
if (!(stopGraceMs >= 0)) {
  console.error(`FLINKSCOPE_STOP_GRACE_MS must be a number of milliseconds ≥ 0 (got ${process.env.FLINKSCOPE_STOP_GRACE_MS})`);
  process.exit(1);
}
if (groups.includes('integration') && walk(join(dist, 'test', 'integration')).length > 0) {
  const dep = spawnSync('bash', [join(root, 'scripts', 'ensure-system-deps.sh')], { stdio: 'inherit' });
  if (dep.status !== 0) {
    console.error('could not install the system packages the integration tests need (see above)');
    process.exit(1);
  }
}
const runTmp = mkdtempSync(join(tmpdir(), 'flinkscope-test-'));
chmodSync(runTmp, 0o755); // PostgreSQL's initdb runs as an unprivileged user when we are root: it must reach its directory
const cleanUp = () => rmSync(runTmp, { recursive: true, force: true });

const minFree = Number(process.env.FLINKSCOPE_MIN_FREE_GIB ?? 2);
const fs = statfsSync(runTmp);
const freeGiB = (fs.bavail * fs.bsize) / 2 ** 30;
if (freeGiB < minFree) console.warn(`warning: only ${freeGiB.toFixed(1)} GiB free under ${tmpdir()}; a full run writes some 350 MB there at its peak, and PostgreSQL fails with "No space left on device" when it runs out`);

// The test runner of the group running now (in our process group, so that a signal or a kill of the whole group
// reaches the tests directly). On a signal to this process alone, the signal is passed on to it (it stops its files),
// and the test processes still running at the end of the grace period get SIGKILL. node's test runner may exit on the
// signal before a file that ignores it, leaving the file without a parent: so the processes under it are listed when
// the signal comes, and killed by that list.
let child = null;
let stopping = null;
let stopDeadline = Infinity;
let stopList = [];

/** The processes under `pid` (children, their children, …), read from /proc; [] where there is none. */
function descendants(pid) {
  const parent = new Map();
  let entries = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]); // after "(comm) state"
      parent.set(Number(e), ppid);
    } catch {
      // gone since the listing
    }
  }
  const out = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift();
    for (const [c, pp] of parent) if (pp === p) (out.push(c), queue.push(c));
  }
  return out;
}
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const kill9 = (pids) => {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone already
    }
  }
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (stopping) return; // a second signal while stopping: the first one's clean-up is under way
    stopping = sig;
    if (!child) {
      cleanUp();
      process.exit(128 + constants.signals[sig]);
    }
    stopList = [child.pid, ...descendants(child.pid)];
    child.kill(sig);
    // a test that ignores the signal does not keep the run (or its directory) alive
    stopDeadline = Date.now() + stopGraceMs;
    setTimeout(() => kill9(stopList), stopGraceMs).unref();
  });
}

/** Runs one group's files; resolves with the exit status. */
function runGroup(g, gf) {
  return new Promise((done) => {
    const proc = (child = spawn(process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${g === 'integration' ? 1 : 2}`, ...gf], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, FLINKSCOPE_ROOT: root, TMPDIR: runTmp },
    }));
    proc.on('error', (e) => {
      console.error(`could not start the test runner: ${e.message}`);
      done(1);
    });
    proc.on('exit', async (code, signal) => {
      // node's test runner may exit on the signal before a file that ignores it: that file gets the rest of the grace
      // period, then SIGKILL
      if (stopping) {
        while (stopList.some(alive) && Date.now() < stopDeadline) await new Promise((r) => setTimeout(r, 100));
        kill9(stopList);
      }
      done(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });
}

// Unit files two at a time; integration files one at a time: each starts real JVMs, Prometheus or Chromium, and two
// Flink clusters at once on a 2-core machine starve each other's metrics.
let status = 0;
for (const g of groups) {
  const gf = files.filter((f) => f.startsWith(join(dist, 'test', g)));
  if (gf.length === 0 || stopping) continue;
  status = status || (await runGroup(g, gf));
}
child = null;
cleanUp();
process.exit(stopping ? 128 + constants.signals[stopping] : status);
