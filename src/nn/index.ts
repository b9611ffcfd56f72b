// Layers built on the tensor engine.
export { Module } from './module.js';
export { Linear, LayerNorm, Dropout, sinusoidalPositions } from './layers.js';
export { MultiHeadAttention, TransformerEncoderLayer, attention, bandMask } from './attention.js';
export type { MHAOptions, EncoderLayerOptions } from './attention.js';
export { cosineSimilarity, infoNCE, mseLoss } from './functional.js';
