export { Adam, clipGradNorm } from './adam.js';
export type { AdamOptions } from './adam.js';
export { constantLR, warmupCosine, stepDecay } from './schedule.js';
export type { Schedule } from './schedule.js';
