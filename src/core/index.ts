// The bottom layer: shared types (Series, Sample, Incident, events), statistics and what counts as a metric value. Imports nothing of ours.
export * from './series.js';
export * from './sample.js';
export * from './incident.js';
export * from './stats.js';
export * from './event.js';
export * from './peers.js';
export * from './value.js';
export * from './jobgraph.js';
