// The runner end to end on a small per-entity CSV fixture: calibration on a held-out tail, one row per rule, skipped
// series stated, provenance (digests, tool, machine) and the incident seam.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../../src/data/index.js';
import { heldLevel } from '../../../src/core/stats.js';
import {
  runEval, runOne, referenceRows, boardsMarkdown, affiliation, FLAG_ALL, itemDigest, combinedDigest, toolInfo, parseCalibration, splitTraining, percentileThreshold, parseThresholdRule, provenanceMarkdown, madThreshold, type IncidentsOf,
} from '../../../src/eval/index.js';

const FIXTURE = fileURLToPath(new URL('../../../../test/fixtures/csvdir', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SPEC = `csvdir:${FIXTURE}?name=JumpLike`;

describe('runner', () => {
  it('calibration tail: the detector learns from the first 80 %, the rule reads the held-out 20 %', async () => {
    const [item] = await loadDataset(SPEC);
    const split = splitTraining(item.train, parseCalibration('tail:0.2'));
    assert.deepEqual([split.fit.timestamps.length, split.calibration!.timestamps.length], [64, 16]);
    assert.equal(split.calibration!.timestamps[0], item.train.timestamps[64]);
    const { rows, calibrationScores, detector } = await runOne(item, 'zscore', 1, {}, { rules: [parseThresholdRule('p99')] });
    assert.equal(calibrationScores.length, 16);
    assert.deepEqual(Array.from(calibrationScores), Array.from(detector.score(split.calibration!)));
    assert.equal(rows[0].threshold, percentileThreshold(calibrationScores, 0.99));
    const none = await runOne(item, 'zscore', 1, {}, { rules: [parseThresholdRule('p99')], calibration: parseCalibration('none') });
    assert.equal(none.calibrationScores.length, 80);
    assert.equal(none.rows[0].calibration, 'none');
    assert.throws(() => parseCalibration('tail:1.5'), /share must be a number in \(0, 1\)/);
  });

  it('--hold reads every score as held for k points: test and calibration alike, the threshold from the held calibration, recorded', async () => {
    const [item] = await loadDataset(SPEC);
    const rules = [parseThresholdRule('mad:8')];
    const raw = await runOne(item, 'zscore', 1, {}, { rules });
    const held = await runOne(item, 'zscore', 1, {}, { rules, hold: 3 });
    assert.deepEqual(Array.from(held.scores), Array.from(heldLevel(raw.scores, 3)));
    assert.deepEqual(Array.from(held.calibrationScores), Array.from(heldLevel(raw.calibrationScores, 3)));
    assert.equal(held.rows[0].threshold, madThreshold(held.calibrationScores, 8));
    assert.ok(held.scores.some((v, i) => v < raw.scores[i]), 'a lone high point was lowered');
    const run = await runEval({ datasets: [SPEC], detectors: ['zscore'], seeds: 1, rules, hold: 3, maxSeries: 1 });
    assert.equal(run.provenance.hold, 3);
    assert.equal(run.rows[0].f1, held.rows[0].f1);
    assert.match(provenanceMarkdown(run.provenance), /Scores held for 3 points/);
    assert.equal((await runEval({ datasets: [SPEC], detectors: ['zscore'], seeds: 1, maxSeries: 1 })).provenance.hold, 1);
    await assert.rejects(runEval({ datasets: [SPEC], detectors: ['zscore'], seeds: 1, hold: 0 }), /hold must be an integer ≥ 1/);
    // the incidents are the product's reading (its persistence holds the points itself): they get the points as scored
    const seen: [number[], number][] = [];
    const incidentsOf: IncidentsOf = (_item, scores, th) => (seen.push([Array.from(scores), th]), []);
    await runEval({ datasets: [SPEC], detectors: ['zscore'], seeds: 1, rules, hold: 3, maxSeries: 1, incidentsOf });
    assert.deepEqual(seen, [[Array.from(raw.scores), raw.rows[0].threshold]]);
    assert.notEqual(held.rows[0].threshold, raw.rows[0].threshold, 'the held reading has a threshold of its own');
  });

  it('one row per rule with rule, protocol and timings; skipped series stated; provenance traces code, machine and data', async () => {
    const skipped: string[] = [];
    const run = await runEval({
      datasets: [SPEC], detectors: ['zscore', 'matrix-profile'], seeds: 1, params: { 'matrix-profile': { m: 8, maxTrain: 64 } },
      rules: [parseThresholdRule('mad:8'), parseThresholdRule('paper:10')], onSkip: (s) => skipped.push(`${s.series}: ${s.reason}`),
    });
    assert.deepEqual(skipped, ['service3: no labelled anomaly in its test part (it would score nothing)']);
    assert.equal(run.rows.length, 2 * 2 * 2);
    assert.deepEqual([...new Set(run.rows.map((r) => `${r.rule} ${r.protocol}`))], ['mad:8 honest', 'paper:10 LEAKY']);
    assert.ok(run.rows.every((r) => r.calibration === 'tail:0.2' && r.fit_ms >= 0 && r.score_ms >= 0 && Number.isFinite(r.threshold)));
    const p = run.provenance;
    assert.equal(p.protocol, 'LEAKY');
    assert.deepEqual(p.rules.map((r) => r.rule), ['mad:8', 'paper:10']);
    assert.equal(p.calibration.rule, 'tail:0.2');
    assert.deepEqual(p.detectors['matrix-profile'], { m: 8, maxTrain: 64, aggregate: 'mean', contamination: 0.01 });
    assert.equal(p.fitted_as, undefined, 'every run fitted as its parameters say');
    assert.equal(p.datasets[0].name, 'JumpLike');
    assert.equal(p.datasets[0].skipped[0].series, 'service3');
    const items = (await loadDataset(SPEC)).slice(0, 2);
    assert.deepEqual(p.datasets[0].items.map((i) => i.digest), items.map(itemDigest));
    assert.equal(p.datasets[0].digest, combinedDigest(items.map(itemDigest)));
    items[0].test.values[5] += 1e-3;
    assert.notEqual(itemDigest(items[0]), p.datasets[0].items[0].digest, 'a changed value changes the digest');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(p.tool.version, pkg.version);
    let head: string | null = null;
    try {
      head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      head = null; // not a git checkout: the record must say so
    }
    assert.equal(p.tool.commit, head);
    assert.ok(p.machine.cpu.length > 0 && p.machine.cores >= 1 && p.machine.threads !== null);
  });

  it('the flag-every-point reference: beside the detectors in the boards, out of "flagged nothing", the same from referenceRows', async () => {
    const rules = [parseThresholdRule('mad:8'), parseThresholdRule('p99')];
    const run = await runEval({ datasets: [SPEC], detectors: ['zscore'], seeds: 1, rules });
    assert.equal(run.reference.length, 2 * 2, 'one row per judged series and rule');
    const items = (await loadDataset(SPEC)).slice(0, 2);
    for (const [k, item] of items.entries()) {
      const r = run.reference[2 * k];
      const labels = item.test.labels!;
      const n = labels.length;
      const pos = labels.reduce((a, v) => a + v, 0);
      assert.equal(r.detector, FLAG_ALL);
      assert.equal(r.flagged, n);
      assert.equal(r.recall, 1);
      assert.ok(Math.abs(r.precision - pos / n) < 1e-12);
      assert.ok(Math.abs(r.aff_f1 - affiliation(new Array(n).fill(1), labels).f1) < 1e-12);
      assert.ok(Math.abs(r.auc_pr - pos / n) < 1e-9, 'a constant score ranks nothing: AUC-PR is the prevalence');
      assert.equal(r.auc_roc, 0.5);
    }
    assert.deepEqual(await referenceRows({ datasets: [SPEC], rules }), run.reference);
    const md = boardsMarkdown(run.rows, run.reference);
    assert.match(md, /\| \*\(flag every point\)\* \|/);
    assert.match(md, /a reference, not a detector/);
    const silent = md.slice(md.indexOf('Runs that flagged no test point'));
    assert.doesNotMatch(silent, /flag every point/, 'the reference is no detector that flags too much');
  });

  it('a CCL fitted one series at a time has no peers: the provenance says it ran as the machine-alone model', async () => {
    const tiny = { epochs: 1, window: 8, patchSizes: [4, 8], d: 8, heads: 2, ffn: 8, batchSize: 8 };
    const run = await runEval({ datasets: [SPEC], detectors: ['ccl'], seeds: 1, params: { ccl: tiny } });
    assert.equal(run.provenance.detectors.ccl.peers, 'both', 'the parameter as given');
    // and the data set has no records_in or busy time: no cost part either
    assert.deepEqual(run.provenance.fitted_as, { ccl: [{ as: { peers: 'none', skew: 'none', cost: 'none' }, runs: 2, of: 2 }] });
    assert.match(provenanceMarkdown(run.provenance), /ccl as `\{"peers":"none","skew":"none","cost":"none"\}` in 2 of 2 runs/);
  });

  it('outside a git checkout the tool record says so instead of inventing a commit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flinkscope-prov-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'flinkscope', version: '9.9.9' }));
    const t = toolInfo(dir);
    assert.deepEqual([t.version, t.commit, t.dirty], ['9.9.9', null, null]);
    assert.match(t.note!, /not a git checkout/);
  });

  it('incident seam: a function from above turns scores into incidents; metrics are pooled per dataset × detector × rule', async () => {
    const seen: number[] = [];
    // a stand-in for the product's logic, for the test only: each run of points above the threshold is one paged incident
    const incidentsOf: IncidentsOf = (item, scores, th) => {
      seen.push(th);
      const ts = item.test.timestamps;
      const out = [];
      for (let i = 0; i < scores.length; i++) {
        if (scores[i] <= th || (i > 0 && scores[i - 1] > th)) continue;
        let j = i;
        while (j + 1 < scores.length && scores[j + 1] > th) j++;
        out.push({ machine: item.series, onset: ts[i], end: ts[j], paged: true });
      }
      return out;
    };
    const run = await runEval({ datasets: [SPEC], detectors: ['zscore'], seeds: 1, rules: [parseThresholdRule('mad:8'), parseThresholdRule('p99')], incidentsOf, incidentSlackMs: 60_000 });
    assert.deepEqual(seen, run.rows.map((r) => r.threshold), 'called with each row\'s threshold');
    assert.equal(run.incidents.length, 2); // JumpLike × zscore × seed 1 × two rules
    const m = run.incidents.find((r) => r.rule === 'mad:8')!;
    assert.equal(m.faults, 2); // one labelled level shift on each of service1 and service2
    assert.equal(m.machine_days, (2 * 40 * 60_000) / 86_400_000);
    assert.equal(m.slack, 60_000);
    assert.ok(m.fault_recall === 1, `the +2 level shift is found: ${JSON.stringify(m)}`);
    assert.equal(run.provenance.incident_slack_ms, 60_000);
  });
});
