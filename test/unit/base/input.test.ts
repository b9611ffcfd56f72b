// Shared input checks and repairs of every detector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareInput, DetectorInputError } from '../../../src/detectors/input.js';
import { fromColumns, type Series } from '../../../src/core/series.js';

test('NaN is interpolated linearly, edges take the nearest value, and it is counted', () => {
  const s = fromColumns('m', { a: [NaN, 1, NaN, NaN, 4, NaN], b: [1, 2, 3, 4, 5, 6] });
  const x = prepareInput(s, null);
  assert.deepEqual(Array.from({ length: 6 }, (_, t) => x.values[t * 2]), [1, 1, 2, 3, 4, 4]);
  assert.equal(x.report.interpolated, 4);
});

test('an all-missing channel becomes zeros and is reported', () => {
  const x = prepareInput(fromColumns('m', { a: [NaN, NaN], b: [1, 2] }), null);
  assert.deepEqual(x.report.emptyChannels, ['a']);
  assert.deepEqual(Array.from(x.values), [0, 1, 0, 2]);
});

test('Infinity is an error naming channel, index and timestamp', () => {
  const s = fromColumns('m', { a: [1, Infinity] });
  assert.throws(() => prepareInput(s, null), (e: unknown) => e instanceof DetectorInputError && /channel 'a' is Infinity at index 1/.test(e.message));
});

test('a float64 value beyond the float32 range the detectors compute in is an error, not a silent Infinity', () => {
  const s = fromColumns('m', { a: [1, 1e39], b: [123456789, 2] });
  assert.equal(s.values[2], 1e39, 'the series itself keeps float64');
  assert.equal(s.values[1], 123456789);
  assert.throws(() => prepareInput(s, null), (e: unknown) => e instanceof DetectorInputError && /channel 'a' is 1e\+39 at index 1 .*beyond the float32 range/.test(e.message));
});

test('channels are matched by name; missing ones are an error, extra ones dropped and reported', () => {
  const s = fromColumns('m', { b: [1, 2], a: [3, 4], z: [0, 0] });
  const x = prepareInput(s, ['a', 'b']);
  assert.deepEqual(Array.from(x.values), [3, 1, 4, 2]);
  assert.deepEqual(x.report.droppedChannels, ['z']);
  assert.throws(() => prepareInput(s, ['a', 'cpu']), /lacks channel\(s\) the detector was fitted on: cpu/);
});

test('unsorted timestamps and empty series are clear errors', () => {
  const s: Series = { name: 'm', timestamps: Float64Array.from([2, 1]), channels: ['a'], values: Float32Array.from([1, 2]) };
  assert.throws(() => prepareInput(s, null), /not strictly increasing at index 1/);
  const e: Series = { name: 'e', timestamps: new Float64Array(0), channels: ['a'], values: new Float32Array(0) };
  assert.throws(() => prepareInput(e, null), /is empty/);
});
