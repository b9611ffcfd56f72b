// The query_range reader: its fast path (the layout Prometheus writes) and the general path (JSON.parse + the shape
// check) give the same answer on every text the fast path takes; what it does not take goes the general way, with
// the general path's errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LabelCache, readMatrix, scanMatrix } from '../../../src/collect/matrix.js';
import { AnswerError } from '../../../src/collect/http.js';
import { parseMetricValue } from '../../../src/core/value.js';
import { Rng } from '../../../src/tensor/index.js';

const answer = (result: unknown[], extra: Record<string, unknown> = {}): string => JSON.stringify({ status: 'success', data: { resultType: 'matrix', result }, ...extra });
const generalOf = (text: string): ReturnType<typeof readMatrix> => readMatrix(` ${text}`); // a leading space: the fast path declines

describe('readMatrix', () => {
  it('reads the layout Prometheus writes on the fast path, exactly as the general path does', () => {
    const text = answer([
      { metric: { tm_id: 'tm_1', job_name: 'orders' }, values: [[1767571200, '0.5'], [1767571210.5, '-1.5e3'], [1767571220, 'NaN'], [1767571230, '+Inf']] },
      { metric: {}, values: [] },
      { metric: { tm_id: 'tm_"2"\\x', uni: 'ümlaut ☃' }, values: [[1767571200, '12']] },
    ]);
    const fast = scanMatrix(text);
    assert.ok(fast, 'the fast path takes compact JSON');
    assert.deepEqual(fast, generalOf(text));
    assert.deepEqual(fast.series.map((s) => [s.metric, s.from, s.to]), [[{ tm_id: 'tm_1', job_name: 'orders' }, 0, 4], [{}, 4, 4], [{ tm_id: 'tm_"2"\\x', uni: 'ümlaut ☃' }, 4, 5]]);
    assert.deepEqual(fast.times, [1767571200, 1767571210.5, 1767571220, 1767571230, 1767571200]);
    assert.deepEqual(fast.values, [0.5, -1500, NaN, NaN, 12]);
    assert.deepEqual(scanMatrix(answer([])), { status: 'success', hasData: true, series: [], times: [], values: [] });
  });

  it('reads every value string as parseMetricValue does, to the bit (the short-cut for usual decimals included)', () => {
    const rng = new Rng(7);
    const edge = ['0', '-0', '007', '5.', '.5', '-.5', '+1', '1e5', '1E-5', '1e+22', '1e23', '1e-22', '1.5e-23', '123456789012345', '1234567890123456',
      '0.1', '0.30000000000000004', '9007199254740993', '-12.345e2', '1e', '1e+', '1e0005', '-', '', ' 1', '1 ', 'NaN', '+Inf', '-Inf', '0x10', '1_0', '1.2.3', '1e400', '4.9e-324'];
    const random: string[] = [];
    for (let k = 0; k < 3000; k++) {
      const x = (rng.next() - 0.5) * 10 ** rng.int(30) * 10 ** -rng.int(20);
      random.push(String(x), x.toFixed(rng.int(12)), x.toExponential(rng.int(15)), x.toPrecision(1 + rng.int(17)));
    }
    const vals = [...edge, ...random];
    const text = answer([{ metric: { tm_id: 'a' }, values: vals.map((v, i) => [i, v]) }]);
    const fast = scanMatrix(text)!;
    assert.ok(fast, 'the fast path takes it');
    vals.forEach((v, i) => assert.ok(Object.is(fast.values[i], parseMetricValue(v) ?? NaN), `'${v}': ${fast.values[i]} vs ${parseMetricValue(v)}`));
  });

  it('a label cache gives the same answers, and the same label objects where a series\' labels are the same text', () => {
    const cache = new LabelCache();
    const s = (tm: string, v: string, extra: Record<string, string> = {}): unknown => ({ metric: { tm_id: tm, ...extra }, values: [[1767571200, v]] });
    const answers = [
      answer([s('tm_1', '1'), s('tm_2', '2'), s('tm_"3"\\', '3')]),
      answer([s('tm_1', '4'), s('tm_2', '5'), s('tm_"3"\\', '6')]), // the same series: every label object reused
      answer([s('tm_2', '7'), s('tm_1', '8'), s('tm_12', '9'), s('tm_"3"\\', '1')]), // reordered, one more
      answer([s('tm_2', '7'), s('tm_1', '8'), s('tm_12', '9'), s('tm_"3"\\', '1')]), // and again
      answer([s('tm_1', '2', { job_name: 'x' })]), // a longer label set where a shorter one was
      answer([]),
      ` ${answer([s('tm_1', '3')])}`, // the general path
    ];
    const seen: Record<string, string>[][] = [];
    for (const text of answers) {
      const got = readMatrix(text, cache);
      assert.deepEqual(got, readMatrix(text), 'the same answer as without a cache');
      seen.push(got.series.map((x) => x.metric));
    }
    seen[1].forEach((m, j) => assert.equal(m, seen[0][j], `series ${j} reuses its label object`));
    assert.notEqual(seen[2][0], seen[1][0], 'a different series at that position: its own labels');
    seen[3].forEach((m, j) => assert.equal(m, seen[2][j], `series ${j} of the reordered answer reuses its label object the next time`));
    assert.deepEqual(seen[4][0], { tm_id: 'tm_1', job_name: 'x' });
  });

  it('hands any other text to the general path: whitespace, warnings, other key order, error answers', () => {
    const compact = answer([{ metric: { tm_id: 'a' }, values: [[1, '2']] }]);
    const pretty = JSON.stringify(JSON.parse(compact), null, 2);
    const warned = answer([{ metric: { tm_id: 'a' }, values: [[1, '2']] }], { warnings: ['partial'] });
    const reordered = JSON.stringify({ data: { result: [{ values: [[1, '2']], metric: { tm_id: 'a' } }], resultType: 'matrix' }, status: 'success' });
    for (const t of [pretty, warned, reordered]) {
      assert.equal(scanMatrix(t), null, t);
      assert.deepEqual(readMatrix(t), { ...scanMatrix(compact)! }, t);
    }
    const err = JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 3' });
    assert.equal(scanMatrix(err), null);
    assert.deepEqual(readMatrix(err), { status: 'error', error: 'parse error at char 3', hasData: false, series: [], times: [], values: [] });
  });

  it('rejects what is not an answer with the general path\'s message, whichever path saw it first', () => {
    const bad: [string, RegExp][] = [
      [answer([{ metric: { tm_id: 'a' }, values: [[1, '2']] }]).slice(0, -5), /^malformed JSON/],
      [answer([{ metric: { tm_id: 'a' }, values: [[1, '2', 3]] }]), /^unexpected answer: data\.result\[0\]\.values\[0\] is not a \[time, value\] pair/],
      [answer([{ metric: { tm_id: 'a' }, values: [['1', '2']] }]), /^unexpected answer: data\.result\[0\]\.values\[0\]\[0\] is a string, expected a number/],
      [answer([{ metric: 'tm', values: [] }]), /^unexpected answer: data\.result\[0\]\.metric is a string/],
      [answer([{ metric: { tm_id: 'a' }, values: [[1, '2']] }]).replace('[[1', '[[01'), /^malformed JSON/],
      ['{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"tm_id":"a\u0001"},"values":[]}]}}', /^malformed JSON/],
      ['{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"tm_id":"a"},"values":[[1,"2\u0001"]]}]}}', /^malformed JSON/],
    ];
    for (const [t, re] of bad) {
      assert.equal(scanMatrix(t), null, t);
      assert.throws(() => readMatrix(t), (e: unknown) => e instanceof AnswerError && re.test(e.message), t);
    }
  });

  it('keeps values that are not strings as gaps, as the general path does (a number is read as it is)', () => {
    const t = answer([{ metric: { tm_id: 'a' }, values: [[1, 2.5], [2, null], [3, '4']] }]);
    assert.equal(scanMatrix(t), null);
    assert.deepEqual(readMatrix(t).values, [2.5, NaN, 4]);
  });
});
