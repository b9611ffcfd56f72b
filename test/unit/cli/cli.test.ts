// The real CLI (dist/src/cli/main.js in a child process): every bad option value is a usage error — exit 2 and one
// line naming the option — before anything runs; `collect --file` keeps float64 values and reports what it dropped;
// `collect` exits 1 when nothing could be collected; `--param` is typed against the detector's parameter table.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteStore } from '../../../src/store/sqlite.js';
import { loadDetector } from '../../../src/detectors/index.js';

const ROOT = process.env.FLINKSCOPE_ROOT ?? '.';
const CLI = resolve(ROOT, 'dist', 'src', 'cli', 'main.js'); // absolute: the CLI runs in a scratch directory
const dir = mkdtempSync(join(tmpdir(), 'flinkscope-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, CI: 'true', ...env } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

const model = file('some.model', 'not checked until used');
const pem = file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
// [arguments, what the one-line message must say]
const BAD: [string[], RegExp][] = [
  [['collect', '--flink', 'http://127.0.0.1:1', '--polls', 'abc'], /--polls <n>' argument 'abc' is invalid\. expected a whole number ≥ 1/],
  [['collect', '--flink', 'http://127.0.0.1:1', '--polls', '0'], /--polls/],
  [['collect', '--flink', 'http://127.0.0.1:1', '--interval', '0'], /--interval <d>' argument '0' is invalid\. '0' is not a duration > 0/],
  [['collect', '--flink', 'http://127.0.0.1:1', '--interval', '5x'], /--interval.*is not a duration/],
  [['collect', '--flink', 'not-a-url'], /--flink <url>' argument 'not-a-url' is invalid\. expected an http\(s\) URL/],
  [['collect', '--prometheus', 'ftp://x'], /--prometheus.*expected an http\(s\) URL, got a ftp: one/],
  [['collect', '--flink', 'http://127.0.0.1:1', '--timeout', '0'], /--timeout/],
  [['collect', '--prometheus', 'http://127.0.0.1:1', '--since', '1y'], /--since/],
  [['collect', '--flink', 'http://127.0.0.1:1', '--ca', join(dir, 'absent.pem')], /--ca <pem-file>' argument .* cannot read .*absent\.pem: ENOENT/],
  [['collect', '--flink', 'http://127.0.0.1:1', '--cert', model], /--cert .* is not a PEM file/],
  [['collect', '--flink', 'http://127.0.0.1:1', '--cert', pem], /--cert and --key go together/],
  [['collect', '--flink', 'http://127.0.0.1:1', '--token', 't', '--user', 'u'], /either --token or --user/],
  [['collect', '--flink', 'http://127.0.0.1:1', '--password', 'p'], /--password .* needs --user/],
  [['collect', '--flink', 'http://127.0.0.1:1', '--file', 'x.csv'], /exactly one of --flink, --prometheus, --file/],
  [['collect'], /exactly one of --flink, --prometheus, --file/],
  [['collect', '--flink', 'http://127.0.0.1:1', '--bogus'], /unknown option '--bogus'/],
  [['status', '--db', ''], /--db <path>' argument '' is invalid\. must not be empty/],
  [['train', '--db', 'x.db', '--from', 'garbage', '--out', 'm'], /--from <iso>' argument 'garbage' is invalid\. expected an ISO 8601 time/],
  [['train', '--db', 'x.db', '--from', '2026-01-02', '--to', '2026-01-01', '--out', 'm'], /--from 2026-01-02T00:00:00\.000Z is not before --to/],
  [['train', '--dataset', 'synthetic:flink', '--from', '1', '--out', 'm'], /--from and --to go with --db/],
  [['train', '--dataset', 'foo:bar', '--out', 'm'], /--dataset .* unknown dataset kind 'foo'/],
  [['train', '--dataset', 'synthetic:flink', '--out', 'm', '--detector', 'nope'], /--detector .* expected one of ccl,/],
  [['train', '--dataset', 'synthetic:flink', '--out', 'm', '--param', 'bogus=1'], /--param: ccl: unknown parameter 'bogus'/],
  [['train', '--dataset', 'synthetic:flink', '--out', 'm', '--param', 'epochs=abc'], /--param: ccl: parameter 'epochs' must be a number, got 'abc'/],
  [['train', '--dataset', 'synthetic:flink', '--out', 'm', '--param', 'epochs=0x10'], /--param: ccl: parameter 'epochs' must be a number/],
  [['train', '--dataset', 'synthetic:flink'], /required option '--out <file>' not specified/],
  [['eval', '--dataset', 'synthetic:flink', '--threshold', 'mad:abc'], /--threshold <rules>' argument 'mad:abc' is invalid\..*k must be a number in \(0, Infinity\), got 'abc'/],
  [['eval', '--dataset', 'synthetic:flink', '--threshold', 'p100'], /--threshold.*the percentile must be a number in \(0, 100\)/],
  [['eval', '--dataset', 'synthetic:flink', '--threshold', 'mad:8,mad:8'], /--threshold.*'mad:8' given twice/],
  [['eval', '--dataset', 'synthetic:flink', '--calibration', 'tail:2'], /--calibration/],
  [['eval', '--dataset', 'synthetic:flink', '--detectors', ''], /--detectors <list>' argument '' is invalid\. expected at least one detector/],
  [['eval', '--dataset', 'synthetic:flink', '--detectors', 'ccl,nope'], /--detectors .* unknown detector nope/],
  [['eval', '--dataset', 'synthetic:flink', '--seeds', '0'], /--seeds/],
  [['eval', '--dataset', 'synthetic:flink', '--max-series', '-1'], /--max-series/],
  [['eval', '--dataset', 'synthetic:flink', '--param', 'ccl.epochs=abc'], /--param: ccl: parameter 'epochs' must be a number/],
  [['eval', '--dataset', 'synthetic:flink', '--param', 'nope.epochs=1'], /--param 'nope\.epochs=1': unknown detector 'nope'/],
  [['watch', '--model', model, '--steps', 'abc'], /--steps <n>' argument 'abc' is invalid/],
  [['watch', '--model', model, '--webhook-format', 'xml'], /--webhook-format <f>' argument 'xml' is invalid\. expected one of json, slack/],
  [['watch', '--model', model, '--webhook', 'ftp://hooks'], /--webhook/],
  [['watch', '--model', model, '--threshold', 'abc'], /--threshold <rule>' argument 'abc' is invalid\. .*'abc' is not mad/],
  [['watch', '--model', model, '--threshold', 'mad:abc'], /--threshold <rule>' argument 'mad:abc' is invalid\. .*k must be a number in \(0, Infinity\)/],
  [['watch', '--model', model, '--event-grace', 'soon'], /--event-grace <d>' argument 'soon' is invalid/],
  [['incidents', '--event-grace', 'soon'], /--event-grace <d>' argument 'soon' is invalid/],
  [['demo', '--sustain', '-1m'], /--sustain <d>' argument '-1m' is invalid/],
  [['watch', '--model', model, '--update-after', 'soon'], /--update-after <d>' argument 'soon' is invalid/],
  [['watch', '--model', model, '--retrain-after', '0'], /--retrain-after <d>' argument '0' is invalid.*duration > 0/],
  [['incidents', '--retrain-after', 'soon'], /--retrain-after <d>' argument 'soon' is invalid/],
  [['watch', '--model', model, '--alert-rate', '10'], /--alert-rate <n\/d>' argument '10' is invalid/],
  [['watch', '--model', model, '--max-rows', '0'], /--max-rows <n>' argument '0' is invalid/],
  [['watch', '--model', model, '--retrain-every', '0'], /--retrain-every/],
  [['watch', '--model', model, '--flink', 'http://127.0.0.1:1', '--prometheus', 'http://127.0.0.1:1'], /at most one of --flink and --prometheus/],
  [['watch', '--model', model, '--flink', 'http://127.0.0.1:1', '--key', pem], /--cert and --key go together/],
  [['watch', '--model', join(dir, 'absent.model')], /--model <file>' argument .* cannot read .*: ENOENT/],
  [['watch', '--model', model, '--from', 'kafka://127.0.0.1:1/t'], /--from and --group go together/],
  [['watch', '--model', model, '--group', 'g'], /--from and --group go together/],
  [['watch', '--model', model, '--from', 'kafka://127.0.0.1/t', '--group', 'g'], /--from <url>' argument 'kafka:\/\/127\.0\.0\.1\/t' is invalid\. '127\.0\.0\.1' in .* is not HOST:PORT/],
  [['watch', '--model', model, '--from', 'http://a:1/t', '--group', 'g'], /--from <url>' argument .* is not kafka:\/\/HOST:PORT/],
  [['watch', '--model', model, '--from', 'kafka://127.0.0.1:1/t', '--group', 'g'], /--from needs --db postgres:\/\/…/],
  [['watch', '--model', model, '--from', 'kafka://127.0.0.1:1/t', '--group', 'g', '--db', 'postgres://x@127.0.0.1:1/db', '--retrain-every', '1h', '--metrics-port', '9'], /--from \(a fleet worker\) does not take --retrain-every, --metrics-port/],
  [['watch', '--model', model, '--from', 'kafka://127.0.0.1:1/t', '--group', 'g', '--session-timeout', 'x'], /--session-timeout/],
  [['watch', '--model', model, '--replay', 'synthetic:flink'], /--replay <spec>' argument 'synthetic:flink' is invalid\. expected flink-lab:<recording dir>/],
  [['watch', '--model', model, '--replay', 'flink-lab:test/fixtures/flink-lab/mini', '--flink', 'http://127.0.0.1:1'], /--replay delivers a recording: it does not take --flink/],
  [['demo', '--dataset', 'smd:x'], /--dataset <spec>' argument 'smd:x' is invalid/],
  [['demo', '--dataset', 'flink-lab:test/fixtures/flink-lab/mini?trian=0.6'], /--dataset <spec>' argument .* is invalid\. dataset spec '.*\?trian=0\.6': unknown option 'trian' for flink-lab/],
  [['watch', '--model', model, '--replay', 'flink-lab:test/fixtures/flink-lab/mini?train=1.5'], /--replay <spec>' argument .* is invalid\. dataset spec '.*\?train=1\.5': train share must be a number in \(0, 1\), got '1\.5'/],
  [['eval', '--dataset', 'flink-lab:test/fixtures/flink-lab/mini', '--incidents', '--quiet', 'soon'], /--quiet <d>' argument 'soon' is invalid/],
  [['collect', '--file', 'x.csv', '--to', 'kafka://a:1/'], /--to <url>' argument 'kafka:\/\/a:1\/' is invalid/],
  [['serve', '--port', '70000'], /--port <n>' argument '70000' is invalid/],
  [['serve', '--host', 'bad host!'], /--host <h>' argument 'bad host!' is invalid/],
  [['report', '--out', 'r.pdf'], /--out <file>' argument 'r\.pdf' is invalid\. expected a file name ending in \.html/],
  [['demo', '--machines', '0'], /--machines/],
  [['demo', '--seed', '-1'], /--seed/],
  [['demo', '--port', 'x'], /--port/],
  [['study', '--epochs', 'x'], /--epochs/],
  [['study', '--detectors', 'zscore,zscore'], /--detectors .* a detector is listed twice/],
  [['study', '--out', 'results.txt'], /--out .* ending in \.md/],
  [['bogus'], /unknown command 'bogus'/],
];

describe('the CLI validates every option at the edge', () => {
  it(`${BAD.length} bad command lines: exit 2, one line naming the problem, nothing run`, async () => {
    const results: { args: string[]; want: RegExp; r: Awaited<ReturnType<typeof cli>> }[] = [];
    for (let i = 0; i < BAD.length; i += 4) { // four CLIs at a time
      const batch = BAD.slice(i, i + 4);
      results.push(...(await Promise.all(batch.map(async ([args, want]) => ({ args, want, r: await cli(args) })))));
    }
    for (const { args, want, r } of results) {
      const what = `flinkscope ${args.join(' ')} → ${r.code}: ${r.err}`;
      assert.equal(r.code, 2, what);
      assert.match(r.err, want, what);
      assert.equal(r.err.trim().split('\n').length, 1, `one line: ${what}`);
      assert.match(r.err, /^flinkscope: /, what);
      assert.equal(r.out, '', what);
    }
  });

  it('collect --file: float64 exact through the store, the report says what was dropped; a bad file exits 1 without losing the good one', async () => {
    const db = join(dir, 'files.db');
    const good = file('tm-1.csv', 'timestamp,bytes,cpu\n1700000000,123456789,0.5\n1700000060,1e39,0x10\nnot-a-time,1,1\n');
    const bad = file('tm-2.csv', 'timestamp,cpu,cpu\n1700000000,1,2\n');
    const r = await cli(['collect', '--file', good, bad, '--db', db]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /tm-1\.csv → tm-1: 3 new samples \(0 already stored\); 2 rows; skipped 1 malformed rows \(timestamp 1; first: line 4: unreadable timestamp 'not-a-time'\); 1 missing cells \(not a number 1\)/);
    assert.match(r.err, /tm-2\.csv: duplicate column name: 'cpu' \(columns 2, 3\)/);
    assert.match(r.err, /1 of 2 files could not be read/);
    const store = new SqliteStore(db);
    try {
      const s = (await store.series('tm-1', ['bytes', 'cpu']));
      assert.deepEqual(Array.from(s.values), [123456789, 0.5, 1e39, NaN]);
      assert.deepEqual((await store.machines()), ['tm-1']);
    } finally {
      await store.close();
    }
    const st = await cli(['status', '--db', db]);
    assert.match(st.out, /samples {3}3 from 1 machines/);
  });

  it('collect exits 1 when nothing could be collected, saying why', async () => {
    const r = await cli(['collect', '--flink', 'http://127.0.0.1:1', '--polls', '2', '--interval', '50ms', '--timeout', '500ms', '--db', join(dir, 'none.db')]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /flinkscope: nothing could be collected from http:\/\/127\.0\.0\.1:1 \(last error: cannot connect: .*\(http:\/\/127\.0\.0\.1:1\/taskmanagers\)\)/);
    assert.match(r.out, /; 1 new Flink events → /, 'the collect-failed event, once');
    const st = await cli(['status', '--db', join(dir, 'none.db')]);
    assert.match(st.out, /\n {2}collector failing since \d{4}-\S+ \(no data yet\): cannot connect: /, 'status says the collector is failing');
  });

  it('--param is typed by the detector: patchSizes=8 is the list [8]', async () => {
    const out = join(dir, 'p.model');
    const r = await cli(['train', '--dataset', 'synthetic:flink?machines=2&days=1&seed=3', '--out', out, '--param', 'patchSizes=8', 'epochs=1', 'maxTrainWindows=64']);
    assert.equal(r.code, 0, r.err);
    const report = { params: loadDetector(out).params as { patchSizes: number[]; epochs: number } };
    assert.deepEqual(report.params.patchSizes, [8]);
    assert.equal(report.params.epochs, 1);
  });
});

describe('flinkscope incidents cleans up after itself', () => {
  const study = ['incidents', '--cluster', 'synthetic:flink?machines=3&days=2&seed=4', '--config', 'zscore', '--alarms', 'mad:8', 'p99'];
  it('each replay writes a whole store: none is left in the temporary directory, also when the run fails', async () => {
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    const ok = await cli(study, { TMPDIR: tmp });
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /\(2 replays in/);
    assert.deepEqual(readdirSync(tmp), [], 'the replays\' stores are deleted');
    const bad = await cli(['incidents', '--cluster', 'flink-lab:/nonexistent/recording', '--config', 'zscore'], { TMPDIR: tmp });
    assert.equal(bad.code, 1, bad.err);
    assert.deepEqual(readdirSync(tmp), [], 'a failed run deletes its temporary directory too');
  });

  it('--keep-stores <dir> keeps one store per row, and refuses a directory that is not empty', async () => {
    const keep = join(dir, 'kept');
    const r = await cli([...study, '--keep-stores', keep]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readdirSync(keep).sort(), ['0', '1']);
    for (const row of ['0', '1']) assert.ok(readdirSync(join(keep, row)).length > 0, `row ${row}'s store is kept`);
    const again = await cli([...study, '--keep-stores', keep]);
    assert.equal(again.code, 1);
    assert.match(again.err, /--keep-stores .*kept: the directory is not empty/);
  });
});
