// The bottom layer: shared types (Series, Sample, Incident, events) and statistics. Imports nothing of ours.
export * from './series.js';
export * from './sample.js';
export * from './incident.js';
export * from './stats.js';
export * from './event.js';
export * from './peers.js';
