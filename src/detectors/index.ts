// Importing this module registers every detector (each module registers itself).
import './ccl/ccl.js';
export { createDetector, detectorKinds, detectorEntry, loadDetector, registerDetector } from './registry.js';
export { Detector, NotFittedError, FitCancelledError, quantile } from './detector.js';
export type { TrainProgress, FitOptions } from './detector.js';
export type { Series } from './series.js';
