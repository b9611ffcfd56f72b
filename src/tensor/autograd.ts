// Reverse-mode autograd: topological order of the recorded graph, then each node's rule from the gradient table.
import { gradients } from './gradients.js';
import { ShapeError, fmt } from './shape.js';
import { Tensor, noGrad } from './tensor.js';
import { add, vals } from './ops.js';
import { backend } from './backend.js';
import { recycle } from './arena.js';

/** Accumulates d(root)/d(leaf) into leaf.grad for every leaf with requiresGrad. `root` must be a scalar unless `seed` is given. */
export function backward(root: Tensor, seed?: Tensor): void {
  if (!root.requiresGrad) throw new Error('backward: the tensor does not require grad (no parameter took part in computing it)');
  if (!seed && root.size !== 1) throw new ShapeError(`backward: root has shape ${fmt(root.shape)}; pass a seed gradient or reduce it to a scalar`);
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i === 0 && seen.has(t)) {
      stack.pop();
      continue;
    }
    seen.add(t);
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i];
      if (next.requiresGrad && !seen.has(next)) stack.push([next, 0]);
    } else {
      order.push(t);
      stack.pop();
    }
  }
  noGrad(() => {
    // Gradients are consumed once: a buffer no pending gradient refers to any more goes back to the arena at once
    // (recycle), so the backward pass reuses a few hot buffers instead of touching fresh memory for every node.
    // refs counts the pending gradients (entries of `grads`) on each buffer; views share their buffer's count.
    const grads = new Map<Tensor, Tensor>();
    const refs = new Map<Float32Array, number>();
    const hold = (g: Tensor): void => void refs.set(g.data, (refs.get(g.data) ?? 0) + 1);
    const seedData = seed?.data;
    const free = (d: Float32Array): void => {
      if (!refs.has(d) && d !== seedData) recycle(d);
    };
    const drop = (g: Tensor): void => {
      const n = (refs.get(g.data) ?? 1) - 1;
      if (n > 0) refs.set(g.data, n);
      else {
        refs.delete(g.data);
        free(g.data);
      }
    };
    const start = seed ?? new Tensor(Float32Array.of(1), root.shape);
    grads.set(root, start);
    hold(start);
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (!t.node) {
        t.grad = t.grad ? accumulate(t.grad, g) : materialise(g);
        drop(g);
        continue;
      }
      const rule = gradients[t.node.op];
      if (!rule) throw new Error(`backward: no gradient rule for op '${t.node.op}'`);
      // the pending gradient of input j, when backward alone holds its (contiguous, own) buffer: a rule may add onto it
      // (handed records which inputs' pending gradients were handed over: a rule returning one tensor for two inputs
      // that are the same tensor, as add(x, x), must still have it added twice)
      const handed = new Set<number>();
      const into = (j: number): Tensor | null => {
        const prev = grads.get(t.node!.inputs[j]);
        if (!prev || refs.get(prev.data) !== 1 || prev.data === seedData || prev.data === g.data) return null;
        if (!(prev.isContiguous && prev.offset === 0 && prev.data.length === prev.size)) return null;
        handed.add(j);
        return prev;
      };
      const gi = rule(g, t.node, t, into);
      const summed: Tensor[] = [];
      t.node.inputs.forEach((inp, j) => {
        const gj = gi[j];
        if (!gj || !inp.requiresGrad) return;
        const prev = grads.get(inp);
        if (prev && gj === prev && handed.has(j)) return; // the rule accumulated in place
        if (!prev) {
          grads.set(inp, gj);
          hold(gj);
          return;
        }
        const s = add(prev, gj);
        grads.set(inp, s);
        hold(s);
        drop(prev);
        summed.push(gj); // consumed by the sum; free once no other gradient of this node still needs it
      });
      drop(g);
      for (const gj of summed) if (gj.data !== g.data) free(gj.data);
    }
  });
}

/** prev += g in prev's own storage when it is a plain contiguous array (it then outlives any arena), else a new sum. */
function accumulate(prev: Tensor, g: Tensor): Tensor {
  if (prev.isContiguous && prev.offset === 0 && prev.data.length === prev.size && prev.size === g.size) {
    backend().binary('add', prev.data, vals(g), prev.data);
    return prev;
  }
  return materialise(add(prev, g));
}

/** Gradients are stored contiguous, with their own storage (never a view of another tensor). */
function materialise(g: Tensor): Tensor {
  return new Tensor(new Float32Array(g.values()), g.shape);
}
