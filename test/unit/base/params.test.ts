// Typed detector parameters: defaults, validation and CLI parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveParams, parseParamStrings, ParamError, type ParamSpec } from '../../../src/detectors/params.js';

interface P {
  window: number;
  lr: number;
  robust: boolean;
  mode: string;
  sizes: number[];
}
const spec: ParamSpec<P> = {
  window: { default: 100, doc: 'window length', min: 2, integer: true },
  lr: { default: 1e-3, doc: 'learning rate', min: 0, max: 1 },
  robust: { default: true, doc: 'robust scaling' },
  mode: { default: 'published', doc: 'variant', choices: ['published', 'variant'] },
  sizes: { default: [5, 10], doc: 'patch sizes' },
};

test('defaults fill in, overrides apply, arrays are copied', () => {
  const p = resolveParams('x', spec, { window: 50 });
  assert.deepEqual(p, { window: 50, lr: 1e-3, robust: true, mode: 'published', sizes: [5, 10] });
  assert.notEqual(p.sizes, spec.sizes.default);
});

test('unknown key, wrong type, range, integer and choices are errors naming the parameter', () => {
  assert.throws(() => resolveParams('x', spec, { windw: 5 } as never), (e: unknown) => e instanceof ParamError && /unknown parameter 'windw'/.test(e.message));
  assert.throws(() => resolveParams('x', spec, { window: '5' } as never), /'window' must be a number, got string/);
  assert.throws(() => resolveParams('x', spec, { window: 1 }), /'window' must be ≥ 2/);
  assert.throws(() => resolveParams('x', spec, { window: 2.5 }), /'window' must be an integer/);
  assert.throws(() => resolveParams('x', spec, { lr: NaN }), /'lr' must be finite/);
  assert.throws(() => resolveParams('x', spec, { mode: 'other' }), /'mode' must be one of/);
});

test('CLI strings: "false" is false, not truthy; numbers and lists parse', () => {
  const o = parseParamStrings('x', spec, ['robust=false', 'window=64', 'sizes=4,8,16', 'mode=variant']);
  assert.deepEqual(resolveParams('x', spec, o), { window: 64, lr: 1e-3, robust: false, mode: 'variant', sizes: [4, 8, 16] });
  assert.throws(() => parseParamStrings('x', spec, ['robust=False']), /must be true or false/);
  assert.throws(() => parseParamStrings('x', spec, ['window=abc']), /must be a number/);
  assert.throws(() => parseParamStrings('x', spec, ['window']), /expected key=value/);
});
