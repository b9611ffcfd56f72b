// A real PostgreSQL for tests and bench:fleet (Debian's package, see real-components.md): initdb into a temporary
// directory, pg_ctl start on a free loopback port with the socket in that directory, trust authentication for the
// test's own user; run as the unprivileged 'postgres' (or 'nobody') user when we are root, since initdb refuses root.
// Never the machine's own cluster or service. stop() = pg_ctl stop -m fast, then the directory is removed.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/app/lab/tools.js';

export interface Postgres {
  port: number;
  /** The postmaster's process id (its backends are its children). */
  pid: number;
  /** postgres://… of a database (default: the maintenance database). */
  url(db?: string): string;
  /** Creates a new empty database and returns its URL. */
  createDb(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The newest installed server's bin directory, or null. */
export function pgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const v = readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))[0];
  return v ? join(root, v, 'bin') : null;
}

function ids(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const user of ['postgres', 'nobody']) {
    const u = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    if (u.status === 0 && g.status === 0) return { uid: Number(u.stdout), gid: Number(g.stdout) };
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run initdb as');
}

export async function startPostgres(): Promise<Postgres> {
  const bin = pgBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (scripts/ensure-system-deps.sh installs the Debian package)');
  const dir = mkdtempSync(join(tmpdir(), 'flinkscope-pg-'));
  const who = ids();
  if (who) chownSync(dir, who.uid, who.gid);
  const run = (cmd: string, args: string[]): void => {
    const r = spawnSync(join(bin, cmd), args, { encoding: 'utf8', cwd: dir, ...(who ?? {}), timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'flinkscope', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
  const port = await freePort();
  // fsync off: a test cluster need not survive a power cut (the store's own crash safety is its transactions)
  run('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', join(dir, 'log'), '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100 -c shared_buffers=64MB`]);
  const url = (db = 'postgres'): string => `postgres://flinkscope@127.0.0.1:${port}/${db}`;
  let stopped = false;
  return {
    port,
    pid: Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
    url,
    async createDb(name: string): Promise<string> {
      const c = new pg.Client({ connectionString: url() });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['stop', '-m', 'fast', '-w', '-D', data]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
