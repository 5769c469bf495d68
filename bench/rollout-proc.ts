/**
 * Child processes of the rollout benchmark and what /proc says about them: each child (the workflow
 * worker, a node agent host) prints one JSON line `{"ready":true}` once it serves, and stops on
 * SIGTERM; its memory (VmRSS, peak VmHWM) and CPU come from /proc, so each part is measured alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const CLK_TCK = 100;

/** A child started by {@link startChild}. */
export interface BenchChild {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Its stderr so far (for the error of a failed start). */
  stderr(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `node <script>` with `env` added and waits for its ready line; kills it if it does not come in `timeoutMs`. */
export async function startChild(name: string, script: string, env: Record<string, string>, timeoutMs = 120_000): Promise<BenchChild> {
  // The children run TypeScript with Node's type stripping, like the benchmark itself.
  const proc = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-8_000);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: BenchChild = {
    name,
    proc,
    pid: proc.pid!,
    stderr: () => err,
    async stop(graceMs = 60_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not become ready in ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
      proc.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited before it was ready (${code ?? sig}); stderr: ${err}`));
      });
      createInterface({ input: proc.stdout }).on('line', (line) => {
        if (line.includes('"ready":true')) {
          clearTimeout(timer);
          resolve();
        } else process.stdout.write(`[${name}] ${line}\n`);
      });
    });
  } catch (e) {
    await child.stop(5_000);
    throw e;
  }
  return child;
}

/** Resident and peak resident memory of a process, bytes (0 when it is gone). */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0) * 1024;
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** CPU seconds (user + system) a process has used so far (0 when it is gone). */
export function cpuSecondsOf(pid: number): number {
  return cpuOf(pid).self;
}

/**
 * CPU seconds of a process: its own (user + system) and its waited-for children's (every command it
 * ran and reaped, with their own children: for a node agent, the stub, `ip netns exec`, ping and the
 * DNS helper). Zeros when it is gone.
 */
export function cpuOf(pid: number): { self: number; children: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { self: (Number(f[11]) + Number(f[12])) / CLK_TCK, children: (Number(f[13]) + Number(f[14])) / CLK_TCK };
  } catch {
    return { self: 0, children: 0 };
  }
}

/** CPU seconds the whole machine spent (user + nice + system + irq + softirq), from /proc/stat. */
export function machineCpuSeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) / CLK_TCK;
}

/** Samples the RSS of `pids` every `everyMs` and keeps the highest seen per pid, until stopped. */
export function sampleRss(pids: readonly number[], everyMs = 1_000): { stop(): Map<number, number> } {
  const max = new Map<number, number>(pids.map((p) => [p, memoryOf(p).rss]));
  const timer = setInterval(() => {
    for (const p of pids) max.set(p, Math.max(max.get(p) ?? 0, memoryOf(p).rss));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      for (const p of pids) max.set(p, Math.max(max.get(p) ?? 0, memoryOf(p).rss));
      return max;
    },
  };
}
