/**
 * Processes the harness starts: spawned detached with their output in a log file, recorded by PID
 * and kernel start time so that teardown (even by another process, after a crash) ends exactly the
 * processes this harness started and never a recycled PID.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { eventually } from './wait.ts';
import { processStartTime as procStartTime } from '../../activities/proc.ts';

/** A process's kernel start time, or undefined when it is gone or a zombie (the product's helper). */
export { procStartTime };

/** A process the harness started, as recorded in a run's state. */
export interface ProcRecord {
  name: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: distinguishes this process from a later one with the same PID. */
  startTime: string;
  log: string;
}

/** True when the recorded process is still the one we started. */
export function isAlive(rec: Pick<ProcRecord, 'pid' | 'startTime'>): boolean {
  return procStartTime(rec.pid) === rec.startTime;
}

/** Options of {@link startProcess}. */
export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  log: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Starts a long-running process in its own session (so a terminal's Ctrl-C reaches the harness,
 * which then stops it in order) with stdout and stderr appended to `log`.
 */
export function startProcess(opts: StartOptions): ProcRecord {
  const fd = openSync(opts.log, 'a');
  try {
    const child = spawn(opts.command, opts.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    if (child.pid === undefined) throw new Error(`could not start ${opts.name} (${opts.command})`);
    child.unref();
    const startTime = procStartTime(child.pid);
    if (startTime === undefined) throw new Error(`${opts.name} exited at once; see ${opts.log}`);
    return { name: opts.name, pid: child.pid, startTime, log: opts.log };
  } finally {
    closeSync(fd);
  }
}

/** Last lines of a process log, for error messages. */
export function tailLog(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Stops a recorded process: SIGTERM, then SIGKILL after `graceMs`. Does nothing when the PID now
 * belongs to another process.
 */
export async function stopProcess(rec: ProcRecord, graceMs = 5_000): Promise<void> {
  if (!isAlive(rec)) return;
  try {
    process.kill(rec.pid, 'SIGTERM');
  } catch {
    return;
  }
  try {
    await eventually(() => !isAlive(rec), { timeoutMs: graceMs, intervalMs: 20, what: `${rec.name} to exit` });
  } catch {
    if (isAlive(rec)) {
      try {
        process.kill(rec.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await eventually(() => !isAlive(rec), { timeoutMs: 5_000, intervalMs: 20, what: `${rec.name} to die` });
    }
  }
}
