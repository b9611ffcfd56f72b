// Detector registry: kind name → constructor, so the CLI, eval and load() can build any detector by name.
// Detector modules register themselves; src/detectors/index.ts imports them all.
import type { Detector } from './detector.js';
import { readModelFile, ModelFileError } from '../tensor/modelfile.js';
import type { SavedDetectorMeta } from './detector.js';
import { parseParamStrings, resolveParams, type ParamSpec } from './params.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DetectorCtor = new (params?: any) => Detector<any>;
export interface DetectorEntry {
  kind: string;
  ctor: DetectorCtor;
  family: 'deep' | 'classical';
  summary: string;
}

const registry = new Map<string, DetectorEntry>();

export function registerDetector(entry: DetectorEntry): void {
  if (registry.has(entry.kind)) throw new Error(`detector '${entry.kind}' registered twice`);
  registry.set(entry.kind, entry);
}

export function detectorKinds(): string[] {
  return [...registry.keys()];
}
export function detectorEntry(kind: string): DetectorEntry {
  const e = registry.get(kind);
  if (!e) throw new Error(`unknown detector '${kind}' (known: ${detectorKinds().join(', ')})`);
  return e;
}

export function createDetector(kind: string, params: Record<string, unknown> = {}): Detector {
  return new (detectorEntry(kind).ctor)(params);
}

/** "key=value" strings (a command line's --param) typed and checked against the kind's parameter table now — an
 *  unknown key, a wrong type, a value out of range is a ParamError here, not after loading the data. */
export function parseParamsFor(kind: string, pairs: string[]): Record<string, unknown> {
  const spec = createDetector(kind).paramSpec as ParamSpec<Record<string, unknown>>;
  const p = parseParamStrings(kind, spec, pairs) as Record<string, unknown>;
  resolveParams(kind, spec, p);
  return p;
}

/** Loads a saved detector of whatever kind the file holds. */
export function loadDetector(path: string): Detector {
  const meta = readModelFile<SavedDetectorMeta>(path).meta;
  if (!meta || typeof meta.kind !== 'string') throw new ModelFileError('not a detector model file', path);
  const entry = registry.get(meta.kind);
  if (!entry) throw new ModelFileError(`model file holds an unknown detector kind '${meta.kind}'`, path);
  return new entry.ctor(meta.params).loadFrom(path);
}
