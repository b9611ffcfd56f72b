// What the lab needs on the machine (java, mvn, prometheus), where the repository is, free ports, and the harness
// build. A missing tool is a one-line error saying what to install.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOOL_HINTS: Record<string, string> = {
  java: 'install a Java 17 JDK (Debian: apt-get install openjdk-17-jdk-headless)',
  mvn: 'install Maven (Debian: apt-get install maven)',
  prometheus: 'install Prometheus (Debian: apt-get install --no-install-recommends prometheus, or run scripts/ensure-system-deps.sh)',
};

/** Throws "<tool> not found on PATH: <what to install>" unless `tool <versionArg>` runs. */
export function requireTool(tool: string, versionArg = '--version', env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(tool, [versionArg], { stdio: 'ignore', env });
  if (r.error || r.status !== 0) throw new Error(`${tool} not found on PATH: ${TOOL_HINTS[tool] ?? `install ${tool}`}`);
}

/** The checkout this code runs from (the directory whose package.json names flinkscope). */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(d, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'flinkscope') return d;
    const up = dirname(d);
    if (up === d) throw new Error('cannot find the flinkscope checkout (package.json) above ' + fileURLToPath(import.meta.url));
    d = up;
  }
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

export const HARNESS_JAR = 'harness/target/flinkscope-harness-0.1.0.jar';

/** Builds harness/ (Flink jars from Maven Central into harness/lib, the job jar) unless it is up to date. */
export function buildHarness(root = repoRoot()): { classpath: string; jar: string } {
  requireTool('java', '-version');
  requireTool('mvn', '-v');
  const r = spawnSync('bash', [join(root, 'scripts', 'build-harness.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the Flink harness failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`);
  const jar = join(root, HARNESS_JAR);
  return { classpath: `${join(root, 'harness', 'lib')}/*:${jar}`, jar };
}
