// The engine's public face: tensors, ops, autograd, RNG, backends. Importing it registers the reference backend and,
// when its addon is built, the native one (made active); FLINKSCOPE_BACKEND=reference|native overrides the choice.
import { registerBackend, setBackend } from './backend.js';
import { referenceKernels } from './backends/reference.js';

export * from './tensor.js';
export * from './ops.js';
export * from './create.js';
export { backward } from './autograd.js';
export { Rng } from './rng.js';
export { ShapeError } from './shape.js';
export { registerBackend, setBackend, backendNames, backend, getBackend } from './backend.js';
export type { Kernels } from './backend.js';

registerBackend(referenceKernels);
setBackend('reference');
