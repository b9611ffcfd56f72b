// Every metric on cases computed by hand (the arithmetic is in the comments).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  prf, pointAdjustedF1, aucRoc, aucPr, affiliation, rangeAucPr, vusPr, percentileThreshold, potThreshold, madThreshold, detectionDelays, evaluate, toEvents, thresholdFrom,
  oracleBestF1, parseThresholdRule, parseThresholdRules, formatThresholdRule, isLeaky, leaderboardMarkdown, silentMarkdown, type ResultRow,
} from '../../../src/eval/index.js';

const close = (a: number, b: number, tol = 1e-6): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('metrics', () => {
  it('point-wise P/R/F1: tp 2, fp 1, fn 1', () => {
    const r = prf([1, 1, 0, 0, 1], [1, 0, 0, 1, 1]);
    close(r.precision, 2 / 3);
    close(r.recall, 2 / 3);
    close(r.f1, 2 / 3);
  });
  it('point adjustment fills a hit event: P 1, R 3/5, F1 0.75', () => {
    const r = pointAdjustedF1([0, 0, 1, 0, 0, 0, 0], [0, 1, 1, 1, 0, 1, 1]);
    close(r.precision, 1);
    close(r.recall, 0.6);
    close(r.f1, 0.75);
  });
  it('AUC-ROC and average precision (scikit-learn documentation example: 0.75 and 0.8333)', () => {
    close(aucRoc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
    close(aucPr([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.8333333, 1e-6);
    close(aucRoc([1, 1, 1, 1], [0, 1, 0, 1]), 0.5);
    assert.ok(Number.isNaN(aucRoc([1, 2], [0, 0])));
  });
  it('affiliation: a perfect prediction scores 1 / 1', () => {
    const labels = [0, 0, 1, 1, 0, 0, 0, 1, 0, 0];
    const a = affiliation(labels, labels);
    close(a.precision, 1);
    close(a.recall, 1);
  });
  it('affiliation: half of an event found → precision 1, recall (1 + 0.9) / 2', () => {
    // T = 10, event [4, 6), prediction [4, 5). For y in [5, 6): d = y − 5, P(|X − y| ≥ d) = (20 − 2y) / 10, mean 0.9.
    const labels = [0, 0, 0, 0, 1, 1, 0, 0, 0, 0];
    const pred = [0, 0, 0, 0, 1, 0, 0, 0, 0, 0];
    const a = affiliation(pred, labels);
    close(a.precision, 1, 1e-9);
    close(a.recall, 0.95, 1e-9);
    close(a.f1, (2 * 0.95) / 1.95, 1e-9);
  });
  it('affiliation: a prediction 2–3 samples after the event → precision 0.3, recall 0.4', () => {
    // precision: x in [8, 9], d = x − 6, survival (8 − 2d) / 10, mean over d in [2, 3] = 0.3
    // recall: y in [4, 6], d = 8 − y, survival (2y − 8 + 2) / 10, mean over [4, 6] = 0.4
    const labels = [0, 0, 0, 0, 1, 1, 0, 0, 0, 0];
    const pred = [0, 0, 0, 0, 0, 0, 0, 0, 1, 0];
    const a = affiliation(pred, labels);
    close(a.precision, 0.3, 1e-9);
    close(a.recall, 0.4, 1e-9);
  });
  it('affiliation: an event with nothing predicted in its zone has recall 0', () => {
    const labels = [1, 1, 0, 0, 0, 0, 0, 0, 1, 1];
    const pred = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    const a = affiliation(pred, labels);
    close(a.precision, 1);
    close(a.recall, 0.5);
  });
  it('range-AUC-PR / VUS-PR: perfect scores give 1, a buffer rewards near misses', () => {
    const labels = [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    close(rangeAucPr(labels, labels, 0), 1);
    close(vusPr(labels, labels, 4), 1);
    const late = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    assert.ok(rangeAucPr(late, labels, 2) > rangeAucPr(late, labels, 0));
  });
  it('range-AUC-PR / VUS-PR: tied scores earn their precision, not area up from (0, 1)', () => {
    const labels = Array.from({ length: 100 }, (_, i) => (i >= 40 && i < 50 ? 1 : 0));
    // a constant score ranks nothing: its one operating point flags everything at the prevalence
    close(rangeAucPr(new Array(100).fill(1), labels, 0), 0.1);
    // a top plateau shared by the event and as many normal points: precision 1/2 up to recall 1, not (1 + 1/2) / 2
    const plateau = labels.map((v, i) => (v || (i >= 60 && i < 70) ? 1 : 0));
    close(rangeAucPr(plateau, labels, 0), 0.5);
    // ties still give way to ranking: the event alone on top scores 1
    close(rangeAucPr(labels.map((v) => v * 2 + 1), labels, 0), 1);
  });
  it('detection delay counts samples from the event start to the first hit', () => {
    assert.deepEqual(detectionDelays([0, 0, 0, 1, 0, 0, 0], [0, 1, 1, 1, 0, 1, 1]), [2, null]);
    assert.deepEqual(toEvents([1, 1, 0, 1]), [[0, 2], [3, 4]]);
  });
  it('thresholds come from training scores: percentile, and POT close to the true exponential quantile', () => {
    close(percentileThreshold([1, 2, 3, 4, 5], 0.5), 3);
    const n = 100000;
    const exp = Float64Array.from({ length: n }, (_, i) => -Math.log(1 - (i + 0.5) / n)); // Exp(1) quantiles
    const { threshold } = potThreshold(exp, { risk: 1e-3, initialQuantile: 0.98 });
    assert.ok(Math.abs(threshold - Math.log(1000)) < 0.35, `POT ${threshold} vs ${Math.log(1000)}`);
  });
  it('median + k·MAD uses the median (even length: the mean of the middle two), not an upper middle element', () => {
    // [1, 2, 3, 4]: median 2.5, |x − 2.5| = 1.5, 0.5, 0.5, 1.5 → MAD 1.0 → 2.5 + 8 · 1.4826
    close(madThreshold([4, 1, 3, 2], 8), 2.5 + 8 * 1.4826);
    close(madThreshold([1, 2, 3, 4, 100], 8), 3 + 8 * 1.4826);
  });
  it('oracle best F1: the best cut of the sorted scores, ties cut together', () => {
    // cuts: top 1 → 2·1/(1+2) = 0.667, top 2 → 2/(2+2), top 3 → 2·2/(3+2) = 0.8, all → 4/6
    close(oracleBestF1([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0]), 0.8);
    close(oracleBestF1([1, 1, 0], [1, 0, 0]), 2 / 3); // the tie cannot be split: 2·1/(2+1)
    assert.ok(Number.isNaN(oracleBestF1([1, 2], [0, 0])));
  });
  it('evaluate reports every metric together and rejects mismatched lengths', () => {
    const m = evaluate([0.1, 0.9, 0.8, 0.1], [0, 1, 1, 0], 0.5);
    close(m.f1, 1);
    close(m.pa_f1, 1);
    close(m.aff_f1, 1);
    close(m.auc_roc, 1);
    close(m.delay, 0);
    assert.equal(m.flagged, 2);
    assert.equal(evaluate([0.1, 0.9], [0, 1], 5).flagged, 0);
    close(m.oracle_best_f1, 1);
    assert.throws(() => evaluate([1, 2], [1], 0), /2 scores\/predictions for 1 labels/);
  });
});

describe('the leaky paper protocol is explicit', () => {
  it("'paper' thresholds on train + test scores together; it refuses to run without the test scores", () => {
    const train = Float32Array.from({ length: 100 }, (_, i) => i / 100); // 0 .. 0.99
    const test = Float32Array.from({ length: 100 }, () => 10);
    // the median of the 200 pooled scores lies between the train and test blocks; from training scores alone it is 0.495
    assert.ok(Math.abs(thresholdFrom(train, { kind: 'paper', ratio: 50 }, test) - 5.495) < 1e-5); // between 0.99 and 10
    assert.ok(Math.abs(thresholdFrom(train, { kind: 'percentile', q: 0.5 }) - 0.495) < 1e-6);
    assert.throws(() => thresholdFrom(train, { kind: 'paper', ratio: 1 }), /leaky/);
  });
});

describe('threshold rules are first class: one parser, one canonical text', () => {
  it('parses and prints back every form', () => {
    for (const [text, canon] of [['mad', 'mad:8'], ['mad:3', 'mad:3'], ['p99', 'p99'], ['p99.5', 'p99.5'], ['pot', 'pot:0.001'], ['pot:0.01', 'pot:0.01'], ['paper:10', 'paper:10']]) {
      const r = parseThresholdRule(text);
      assert.equal(formatThresholdRule(r), canon);
      assert.deepEqual(parseThresholdRule(canon), r);
    }
    assert.deepEqual(parseThresholdRule('p99'), { kind: 'percentile', q: 0.99 });
    assert.equal(isLeaky(parseThresholdRule('paper:10')), true);
    assert.equal(isLeaky(parseThresholdRule('pot')), false);
    assert.deepEqual(parseThresholdRules('mad:8, p99,pot').map(formatThresholdRule), ['mad:8', 'p99', 'pot:0.001']);
  });
  it('a malformed rule is an error naming the accepted forms', () => {
    assert.throws(() => parseThresholdRule('mad:x'), /'mad:x': k must be a number/);
    assert.throws(() => parseThresholdRule('p100'), /the percentile must be a number in \(0, 100\)/);
    assert.throws(() => parseThresholdRule('pot:2'), /the risk must be a number in \(0, 1\)/);
    assert.throws(() => parseThresholdRule('median'), /is not mad\[:k\].*pNN.*pot\[:risk\].*paper/);
    assert.throws(() => parseThresholdRules('p99,p99'), /'p99' given twice/);
  });
});

describe('leaderboard', () => {
  const row = (detector: string, series: string, f1: number, flagged: number, rule = 'mad:8'): ResultRow => ({
    dataset: 'D', series, detector, seed: 1, rule, protocol: rule.startsWith('paper') ? 'LEAKY' : 'honest', calibration: 'tail:0.2', threshold: 1, fit_ms: 1, score_ms: 1,
    precision: f1, recall: f1, f1, pa_f1: f1, aff_precision: f1, aff_recall: f1, aff_f1: f1, delay: 0, event_recall: 1, flagged,
    vus_pr: 0.5, range_auc_pr: 0.5, auc_roc: 0.7, auc_pr: 0.4, oracle_best_f1: 0.9,
  });
  const rows = [row('silent', 's1', 0, 0), row('silent', 's2', 0, 0), row('half', 's1', 0, 0), row('half', 's2', 0.6, 12), row('fine', 's1', 0.5, 3), row('fine', 's2', 0.7, 9)];
  it('a detector that flags nothing is shown as such, not as F1 0; a partly silent cell says how often', () => {
    const md = leaderboardMarkdown(rows, ['f1']);
    assert.match(md, /\| silent \| flags nothing \| 0\.000 \|/);
    assert.match(md, /\| half \| 0\.300 ∅1\/2 \| 0\.300 \|/);
    assert.match(md, /\| fine \| 0\.600 \| 0\.600 \|/);
    assert.match(md, /threshold rule `mad:8`, calibration `tail:0\.2`/);
    assert.match(silentMarkdown(rows), /\| silent \| 2\/2 \|/);
  });
  it('threshold metrics need one rule at a time; the oracle is labelled an upper bound; LEAKY rules say so', () => {
    const two = [...rows, row('fine', 's1', 0.9, 40, 'paper:10')];
    assert.throws(() => leaderboardMarkdown(two, ['f1']), /rows of 2 threshold rules/);
    assert.match(leaderboardMarkdown(two, ['oracle_best_f1']), /UPPER BOUND, not a result/);
    assert.match(leaderboardMarkdown(two.filter((r) => r.rule === 'paper:10'), ['f1']), /`paper:10` — LEAKY/);
  });
});
