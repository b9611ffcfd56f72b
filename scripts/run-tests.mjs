// Runs the compiled test files (dist/test/**/*.test.js) with node's test runner.
//   --unit         only test/unit
//   --integration  only test/integration (starts real Flink / Prometheus / Chromium; see docs/testing.md)
// Before integration tests it makes sure the system packages they need are installed (scripts/ensure-system-deps.sh).
// The tests' temporary files (stores, recordings, Flink / Kafka / PostgreSQL data directories) go to one directory made
// for this run (TMPDIR for every test process), removed when the run ends however it ends: a test that forgets to
// clean up cannot fill the machine's disk over many runs.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statfsSync, statSync, existsSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.includes('--unit') ? 'unit' : args.includes('--integration') ? 'integration' : null;

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}
const groups = only ? [only] : ['unit', 'integration'];
const files = groups.flatMap((g) => walk(join(root, 'dist', 'test', g)).sort());
if (files.length === 0) {
  console.error('no test files found under dist/test: run `npm run build` first');
  process.exit(1);
}
if (groups.includes('integration') && walk(join(root, 'dist', 'test', 'integration')).length > 0) {
  const dep = spawnSync('bash', [join(root, 'scripts', 'ensure-system-deps.sh')], { stdio: 'inherit' });
  if (dep.status !== 0) {
    console.error('could not install the system packages the integration tests need (see above)');
    process.exit(1);
  }
}
const runTmp = mkdtempSync(join(tmpdir(), 'flinkscope-test-'));
chmodSync(runTmp, 0o755); // PostgreSQL's initdb runs as an unprivileged user when we are root: it must reach its directory
const cleanUp = () => rmSync(runTmp, { recursive: true, force: true });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanUp();
    process.exit(128 + constants.signals[sig]);
  });
}
const fs = statfsSync(runTmp);
const freeGiB = (fs.bavail * fs.bsize) / 2 ** 30;
if (freeGiB < 2) console.warn(`warning: only ${freeGiB.toFixed(1)} GiB free under ${tmpdir()}; a full run writes some 350 MB there at its peak, and PostgreSQL fails with "No space left on device" when it runs out`);
// Unit files two at a time; integration files one at a time: each starts real JVMs, Prometheus or Chromium, and two
// Flink clusters at once on a 2-core machine starve each other's metrics.
let status = 0;
for (const g of groups) {
  const gf = files.filter((f) => f.startsWith(join(root, 'dist', 'test', g)));
  if (gf.length === 0) continue;
  const res = spawnSync(process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${g === 'integration' ? 1 : 2}`, ...gf], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FLINKSCOPE_ROOT: root, TMPDIR: runTmp },
  });
  status = status || (res.status ?? 1);
}
cleanUp();
process.exit(status);
