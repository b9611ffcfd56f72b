// The model file container: round trip, atomic write, and clear errors for foreign / truncated / newer files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelFile, writeModelFile, ModelFileError, MODEL_FILE_VERSION } from '../../../src/tensor/modelfile.js';

const dir = mkdtempSync(join(tmpdir(), 'flsc-mf-'));

test('round trip keeps meta, dtypes, shapes and values', () => {
  const p = join(dir, 'a.flsc');
  const w = Float32Array.from([1.5, -2, 3, NaN, 5, 6]);
  writeModelFile(p, { kind: 'x', n: 3 }, {
    w: { data: w, shape: [2, 3] },
    d: { data: Float64Array.from([Math.PI]), shape: [1] },
    i: { data: Int32Array.from([7, -8, 9]), shape: [3] },
    u: { data: Uint8Array.from([1, 0, 1]), shape: [3] },
  });
  const f = readModelFile<{ kind: string; n: number }>(p);
  assert.deepEqual(f.meta, { kind: 'x', n: 3 });
  assert.deepEqual(f.arrays.get('w')!.shape, [2, 3]);
  assert.ok(f.arrays.get('w')!.data instanceof Float32Array);
  assert.deepEqual(Array.from(f.arrays.get('w')!.data), Array.from(w));
  assert.equal(f.arrays.get('d')!.data[0], Math.PI);
  assert.deepEqual(Array.from(f.arrays.get('i')!.data), [7, -8, 9]);
  assert.deepEqual(Array.from(f.arrays.get('u')!.data), [1, 0, 1]);
  // no temp files left behind
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
});

test('shape that does not match the data is refused before anything is written', () => {
  assert.throws(() => writeModelFile(join(dir, 'bad.flsc'), {}, { w: { data: new Float32Array(5), shape: [2, 3] } }), /shape \[2,3\] holds 6 values/);
  assert.throws(() => readFileSync(join(dir, 'bad.flsc')), /ENOENT/);
});

test('truncated file gives a clear error', () => {
  const p = join(dir, 't.flsc');
  writeModelFile(p, { a: 1 }, { w: { data: new Float32Array(100), shape: [100] } });
  const buf = readFileSync(p);
  writeFileSync(p, buf.subarray(0, buf.length - 10));
  assert.throws(() => readModelFile(p), (e: unknown) => e instanceof ModelFileError && /truncated/.test(e.message));
  writeFileSync(p, buf.subarray(0, 20));
  assert.throws(() => readModelFile(p), (e: unknown) => e instanceof ModelFileError && /truncated|corrupt/.test(e.message));
});

test('foreign file and other format version give clear errors', () => {
  const p = join(dir, 'f.flsc');
  writeFileSync(p, 'hello, this is not a model at all');
  assert.throws(() => readModelFile(p), /not a flinkscope model file/);
  writeModelFile(p, {}, {});
  const buf = readFileSync(p);
  buf.writeUInt32LE(MODEL_FILE_VERSION + 1, 8);
  writeFileSync(p, buf);
  assert.throws(() => readModelFile(p), new RegExp(`version ${MODEL_FILE_VERSION + 1} is not supported`));
  assert.throws(() => readModelFile(join(dir, 'missing.flsc')), /cannot read model file \(ENOENT\)/);
});
