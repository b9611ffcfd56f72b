export { CATALOGUE, metricRow, combine } from './catalogue.js';
export type { MetricRow } from './catalogue.js';
export { getJson, SourceError } from './http.js';
export type { HttpOptions } from './http.js';
export { FlinkRestSource } from './flink.js';
export { PrometheusSource } from './prometheus.js';
export { readFileSamples } from './files.js';
export { pollLoop } from './poller.js';
export type { PollStatus } from './poller.js';
