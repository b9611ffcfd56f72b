// The query_range reader: its fast path (the layout Prometheus writes) and the general path (JSON.parse + the shape
// check) give the same answer on every text the fast path takes; what it does not take goes the general way, with
// the general path's errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readMatrix, scanMatrix } from '../../../src/collect/matrix.js';
import { AnswerError } from '../../../src/collect/http.js';

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
