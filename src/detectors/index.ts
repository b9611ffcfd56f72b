// Importing this module registers every detector (each module registers itself).
import './ccl/ccl.js';
import './baselines/dcdetector.js';
import './baselines/anomaly-transformer.js';
import './baselines/usad.js';
import './baselines/transformer-ae.js';
import './classical/zscore.js';
import './classical/iforest.js';
import './classical/knn.js';
import './classical/matrix-profile.js';
export { createDetector, detectorKinds, detectorEntry, loadDetector, registerDetector, parseParamsFor } from './registry.js';
export { Detector, NotFittedError, FitCancelledError, scoreSample } from './detector.js';
export type { TrainProgress, FitOptions, ThresholdSetter, EpochRecord } from './detector.js';
