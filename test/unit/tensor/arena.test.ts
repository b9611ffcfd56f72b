// The arena: buffers of a scope are reused by the next one, returned and kept tensors survive, check mode poisons
// released buffers, and training the benchmark's transformer in arenas is bit-for-bit training without them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as t from '../../../src/tensor/index.js';
import { Linear, TransformerEncoderLayer } from '../../../src/nn/index.js';
import { Adam, clipGradNorm } from '../../../src/optim/index.js';

function train(useArena: boolean, steps: number): Float32Array[] {
  const rng = new t.Rng(3);
  const x = t.randn([4, 12, 5], rng);
  const embed = new Linear(5, 16, rng);
  const layer = new TransformerEncoderLayer(16, 2, rng, { ffn: 32 });
  const params = [...embed.parameters(), ...layer.parameters()];
  const adam = new Adam(params, { lr: 1e-2 });
  const step = (): number => {
    adam.zeroGrad();
    const h = layer.forward(embed.forward(x)).out;
    const loss = t.mean(t.mul(h, h));
    t.backward(loss);
    clipGradNorm(params, 1);
    adam.step();
    return loss.item();
  };
  for (let i = 0; i < steps; i++) {
    if (useArena) t.arena(step);
    else step();
  }
  return params.map((p) => new Float32Array(p.values()));
}

for (const name of t.backendNames()) {
  describe(`arena on backend '${name}'`, () => {
    it('reuses a closed scope\'s buffers, keeps returned and kept tensors, poisons released ones in check mode', () => {
      const prev = t.backend().name;
      t.setBackend(name);
      t.clearArena();
      t.setArenaCheck(true);
      try {
        assert.equal(t.alloc(1000).length, 1000); // outside an arena: plain allocation
        let first: Float32Array | null = null;
        let kept: t.Tensor | null = null;
        const ret = t.arena(() => {
          const a = t.exp(t.full([1000], 1)); // (1000,) pooled
          first = a.data;
          kept = t.keep(t.add(a, 1));
          return t.mul(a, 2);
        });
        assert.ok(first![0] !== first![0], 'released buffer is NaN in check mode');
        assert.ok(Math.abs(ret.values()[0] - 2 * Math.E) < 1e-5 && Math.abs(kept!.values()[999] - (Math.E + 1)) < 1e-5);
        const before = t.arenaStats();
        const again = t.arena(() => t.exp(t.full([1000], 0)).data);
        const after = t.arenaStats();
        assert.equal(after.fresh, before.fresh, 'the next scope allocates nothing new');
        assert.equal(after.reused, before.reused + 1);
        assert.ok(again[0] !== again[0], 'and its buffer went back to the pool (poisoned) when it ended');
        // nested: an inner scope's returned tensor lives until the outer scope ends
        t.arena(() => {
          const inner = t.arena(() => t.exp(t.full([1000], 0)));
          t.arena(() => t.exp(t.full([1000], 5)));
          assert.equal(inner.values()[0], 1);
        });
      } finally {
        t.setArenaCheck(false);
        t.setBackend(prev);
      }
    });

    it('training steps in arenas (check mode) give bit-identical weights to steps without', () => {
      const prev = t.backend().name;
      t.setBackend(name);
      t.setArenaCheck(true);
      try {
        const a = train(true, 4);
        const b = train(false, 4);
        a.forEach((w, i) => assert.deepEqual(w, b[i], `parameter ${i}`));
        assert.ok(a.every((w) => w.every(Number.isFinite)));
      } finally {
        t.setArenaCheck(false);
        t.setBackend(prev);
      }
    });

    it('discard: under noGrad a layer\'s intermediates serve its next ops (same output); while recording it does nothing', () => {
      const prev = t.backend().name;
      t.setBackend(name);
      t.setArenaCheck(true);
      try {
        const rng = new t.Rng(6);
        const layer = new TransformerEncoderLayer(16, 2, rng, { ffn: 32, activation: 'gelu' });
        const x = t.randn([3, 10, 16], rng);
        const recorded = t.arena(() => layer.forward(x).out); // grad mode: nothing discarded
        t.clearArena();
        const before = t.arenaStats();
        const inferred = t.arena(() => t.noGrad(() => layer.forward(x).out));
        const made = t.arenaStats().fresh - before.fresh;
        assert.deepEqual(new Float32Array(inferred.values()), new Float32Array(recorded.values()));
        t.clearArena();
        const before2 = t.arenaStats();
        t.arena(() => layer.forward(x).out);
        const madeRecording = t.arenaStats().fresh - before2.fresh;
        assert.ok(made < madeRecording, `noGrad forward took ${made} fresh buffers, recording ${madeRecording}`);
        const y = t.randn([300], rng, 1, true);
        t.arena(() => {
          const z = t.exp(y);
          t.discard(z); // recorded: must stay intact for backward
          assert.ok(z.values().every(Number.isFinite));
        });
      } finally {
        t.setArenaCheck(false);
        t.setBackend(prev);
      }
    });

    it('backward hands consumed gradients and temporaries back at once (same gradient, far fewer buffers)', () => {
      const prev = t.backend().name;
      t.setBackend(name);
      t.setArenaCheck(true); // a gradient recycled too early would read as NaN
      try {
        const x = t.randn([64, 64], new t.Rng(8), 1, true);
        const run = (): void =>
          t.arena(() => {
            let h = x;
            for (let i = 0; i < 20; i++) h = t.add(t.mul(h, 0.9), t.tanh(h)); // each step: a fan-out and a sum
            t.backward(t.sum(h));
          });
        x.grad = null;
        run(); // warm the free lists
        x.grad = null;
        const before = t.arenaStats();
        run();
        const fresh = t.arenaStats().fresh - before.fresh;
        assert.equal(fresh, 0, 'a repeated step allocates nothing');
        // reference: the same chain without an arena
        const g = new Float32Array(x.grad!.values());
        x.grad = null;
        let h = x;
        for (let i = 0; i < 20; i++) h = t.add(t.mul(h, 0.9), t.tanh(h));
        t.backward(t.sum(h));
        assert.deepEqual(g, new Float32Array(x.grad!.values()));
        // 60 forward activations must live until backward; backward makes 7 buffers per step (140), of which the
        // consumed gradients, partial sums and scalar broadcasts go back at once — without that the pool held 166
        t.clearArena();
        run();
        const pooled = t.arenaStats().pooledBytes / (64 * 64 * 4);
        assert.ok(pooled <= 110, `pooled ${pooled} buffers of 64×64`);
      } finally {
        t.setArenaCheck(false);
        t.setBackend(prev);
      }
    });
  });
}
