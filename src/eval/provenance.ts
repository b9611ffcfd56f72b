// Provenance: what a result was made from, recorded beside it in every JSON and report — the tool (version, commit,
// uncommitted changes), the machine (CPU, SIMD level, threads), and a SHA-256 digest of the data each series was
// read as (the values, labels and timestamps the detectors saw, after the reader's repairs), so a number can be traced
// to the exact code and data that made it and two runs can be checked to have read the same thing.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backend, nativeInfo } from '../tensor/index.js';
import type { Series } from '../core/series.js';
import type { DatasetItem } from '../data/index.js';

export interface ToolInfo {
  name: string;
  version: string;
  /** `git rev-parse HEAD` of the checkout, null when it is not a git checkout (then `note` says so). */
  commit: string | null;
  /** Tracked files differ from the commit (the numbers may not be reproducible from it); null without git. */
  dirty: boolean | null;
  note?: string;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  backend: string;
  simd: string | null;
  threads: number | null;
  node: string;
  platform: string;
  /** The engine settings in the environment (FLINKSCOPE_THREADS, FLINKSCOPE_SIMD, FLINKSCOPE_BACKEND), if set. */
  env: Record<string, string>;
}

/** The project root: the nearest ancestor holding package.json (works from src/ and from dist/src/). */
function projectRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return null;
}

function git(root: string, args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
}

export function toolInfo(root: string | null = projectRoot()): ToolInfo {
  if (!root) return { name: 'flinkscope', version: 'unknown', commit: null, dirty: null, note: 'package.json not found' };
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string; version?: string };
  const base = { name: pkg.name ?? 'flinkscope', version: pkg.version ?? 'unknown' };
  try {
    const commit = git(root, ['rev-parse', 'HEAD']);
    const dirty = git(root, ['status', '--porcelain', '--untracked-files=no']) !== '';
    return { ...base, commit, dirty };
  } catch {
    return { ...base, commit: null, dirty: null, note: 'not a git checkout (or git is not installed)' };
  }
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  const native = nativeInfo();
  const env: Record<string, string> = {};
  for (const k of ['FLINKSCOPE_THREADS', 'FLINKSCOPE_SIMD', 'FLINKSCOPE_BACKEND']) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  const name = backend().name;
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    backend: name,
    simd: name === 'native' && native ? native.simd : null,
    threads: name === 'native' && native ? native.threads : 1,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    env,
  };
}

function hashSeries(h: ReturnType<typeof createHash>, s: Series): void {
  const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  h.update(JSON.stringify([s.channels, s.timestamps.length, s.labels ? s.labels.length : -1]));
  h.update(bytes(s.timestamps));
  h.update(bytes(s.values));
  if (s.labels) h.update(bytes(s.labels));
}

/** SHA-256 (hex) of what a dataset item holds: series name, channels, and train / test timestamps, values, labels. */
export function itemDigest(item: DatasetItem): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([item.dataset, item.series]));
  hashSeries(h, item.train);
  hashSeries(h, item.test);
  return h.digest('hex');
}

/** SHA-256 of a list of item digests (a dataset's digest: same items, same order, same data). */
export function combinedDigest(digests: string[]): string {
  return createHash('sha256').update(digests.join('\n')).digest('hex');
}
