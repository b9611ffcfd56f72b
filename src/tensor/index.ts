// The engine's public face: tensors, ops, autograd, RNG, backends. Importing it registers the reference backend and,
// when its addon is built, the native one, which becomes active; FLINKSCOPE_BACKEND=reference|native overrides.
import { registerBackend, setBackend } from './backend.js';
import { referenceKernels } from './backends/reference.js';
import { loadNativeBackend, nativeUnavailableReason } from './backends/native.js';

export * from './tensor.js';
export * from './ops.js';
export * from './create.js';
export { backward } from './autograd.js';
export { Rng } from './rng.js';
export { arena, keep, alloc, recycle, discard, arenaStats, setArenaCheck, setArenaEnabled, setArenaLimit, clearArena } from './arena.js';
export { ShapeError } from './shape.js';
export { registerBackend, setBackend, backendNames, backend, getBackend } from './backend.js';
export type { Kernels } from './backend.js';
export { nativeInfo, nativeUnavailableReason } from './backends/native.js';

registerBackend(referenceKernels);
const native = loadNativeBackend();
if (native) registerBackend(native);
const wanted = process.env.FLINKSCOPE_BACKEND ?? (native ? 'native' : 'reference');
if (wanted === 'native' && !native) {
  process.emitWarning(`flinkscope: ${nativeUnavailableReason()}; using the reference backend`);
  setBackend('reference');
} else setBackend(wanted);
