export { evaluate } from './evaluate.js';
export type { Metrics } from './evaluate.js';
export { prf, pointAdjust, pointAdjustedF1, detectionDelays, threshold } from './pointwise.js';
export { aucRoc, aucPr } from './ranking.js';
export { affiliation } from './affiliation.js';
export { rangeAucPr, vusPr } from './vus.js';
export { percentileThreshold, potThreshold } from './threshold.js';
export { toEvents } from './events.js';
