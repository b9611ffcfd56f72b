// Child processes the lab starts, and only those: each is stopped by its own PID (SIGTERM, then SIGKILL after a
// grace period). Output goes to a log file in the run directory. If this Node process exits, whatever is still
// running is killed, so no JVM outlives a crashed recorder.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

export class Proc {
  readonly child: ChildProcess;
  private exited: Promise<number | null>;

  constructor(readonly name: string, cmd: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv) {
    const fd = openSync(logFile, 'a');
    this.child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env });
    closeSync(fd);
    this.exited = new Promise((res) => this.child.once('exit', (code, sig) => res(code ?? (sig ? -1 : null))));
    live.add(this);
    void this.exited.then(() => live.delete(this));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the process has exited (its code, or -1 after a signal). */
  wait(): Promise<number | null> {
    return this.exited;
  }

  /** SIGKILL now, and wait for the exit. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if still running after graceMs. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.running && this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

const live = new Set<Proc>();
process.once('exit', () => {
  for (const p of live) if (p.running) p.child.kill('SIGKILL');
});
