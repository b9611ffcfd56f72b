// Buffer reuse for hot loops (a training step, a scoring batch). Inside `arena(fn)` every output buffer the ops
// allocate is taken from a free list keyed by length and goes back to it when fn returns, so a loop that repeats the
// same shapes stops allocating after its first pass. Outside an arena, ops allocate fresh arrays as before.
//
// Rule: nothing computed inside an arena may be used after it returns unless it is returned from fn as a Tensor
// (or an array of Tensors), or marked with keep(). Parameter gradients are accumulated into their own storage (see
// autograd.ts), so training steps need no keep(). With check mode on (setArenaCheck(true), or FLINKSCOPE_ARENA_CHECK=1)
// released buffers are filled with NaN, so a use after release shows up as NaN instead of silently wrong numbers.
import { isGradEnabled, type Tensor } from './tensor.js';

/** Buffers below this many floats are not worth pooling. */
const MIN_POOLED = 256;
const free = new Map<number, Float32Array[]>();
const scopes: Set<Float32Array>[] = [];
let check = process.env.FLINKSCOPE_ARENA_CHECK === '1';
let enabled = process.env.FLINKSCOPE_ARENA !== '0';
let limitFloats = 256 * 2 ** 20; // 1 GiB of pooled float32s at most; beyond it released buffers go to the GC
let pooledFloats = 0;
const stats = { fresh: 0, reused: 0 };

export function setArenaCheck(on: boolean): void {
  check = on;
}
/** Off: arena(fn) just runs fn and every op allocates fresh arrays (FLINKSCOPE_ARENA=0 at start-up does the same). */
export function setArenaEnabled(on: boolean): void {
  enabled = on;
}
/** Caps the memory kept in free lists (bytes). */
export function setArenaLimit(bytes: number): void {
  limitFloats = Math.max(0, Math.floor(bytes / 4));
}
export function arenaStats(): { fresh: number; reused: number; pooledBytes: number } {
  return { ...stats, pooledBytes: pooledFloats * 4 };
}
/** Drops every pooled buffer (tests, or after a model with other shapes). */
export function clearArena(): void {
  free.clear();
  pooledFloats = 0;
}

/**
 * A Float32Array of length n: from the current arena's free list when one is open, else new. Zero-filled unless
 * `zero` is false — for outputs a kernel overwrites entirely (a reused buffer then holds old values, or NaN in check
 * mode, until it does).
 */
export function alloc(n: number, zero = true): Float32Array {
  const scope = scopes[scopes.length - 1];
  if (!scope || n < MIN_POOLED) return new Float32Array(n);
  const list = free.get(n);
  let buf = list?.pop();
  if (buf) {
    pooledFloats -= n;
    if (zero) buf.fill(0);
    stats.reused++;
  } else {
    buf = new Float32Array(n);
    stats.fresh++;
  }
  scope.add(buf);
  return buf;
}

/**
 * Hands buf back to the innermost arena's free list now, before the arena ends — for buffers the caller knows are dead
 * (a gradient consumed by backward, a temporary copy). The next alloc of its length takes it while it is still in
 * cache. Buffers of other arenas, or allocated outside one, are left alone.
 */
export function recycle(buf: Float32Array): void {
  const scope = scopes[scopes.length - 1];
  if (scope && scope.delete(buf)) release(buf);
}

/**
 * Says these tensors (and every view of them) are not used any more, so their storage can serve the next op while it
 * is still in cache. Only without gradient recording (noGrad — inference, scoring): while a graph is recorded it may
 * hold them for the backward pass, and this does nothing. Layers call it on their own intermediates.
 */
export function discard(...ts: Tensor[]): void {
  if (isGradEnabled()) return;
  for (const t of ts) recycle(t.data);
}

/** Takes t's storage out of every open arena: it outlives them (and is left to the GC). */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t.data);
  return t;
}

/**
 * Runs fn with an arena open; buffers allocated inside return to the free lists when it ends. A returned Tensor (or
 * array of Tensors) keeps its storage: it moves to the enclosing arena if there is one, else is left to the GC.
 */
export function arena<T>(fn: () => T): T {
  if (!enabled) return fn();
  const scope = new Set<Float32Array>();
  scopes.push(scope);
  let result: T | undefined;
  try {
    result = fn();
    return result;
  } finally {
    scopes.pop();
    const outer = scopes[scopes.length - 1];
    for (const t of returnedTensors(result)) {
      if (scope.delete(t.data) && outer) outer.add(t.data);
    }
    for (const buf of scope) release(buf);
  }
}

function returnedTensors(r: unknown): Tensor[] {
  const isT = (x: unknown): x is Tensor => typeof x === 'object' && x !== null && 'data' in x && 'shape' in x && (x as Tensor).data instanceof Float32Array;
  if (isT(r)) return [r];
  if (Array.isArray(r)) return r.filter(isT);
  return [];
}

function release(buf: Float32Array): void {
  if (check) buf.fill(NaN);
  if (pooledFloats + buf.length > limitFloats) return;
  let list = free.get(buf.length);
  if (!list) free.set(buf.length, (list = []));
  list.push(buf);
  pooledFloats += buf.length;
}
