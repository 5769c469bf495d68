/**
 * An nmstatectl a killed agent left running: its PID is in the journal's inflight record. It may
 * still be changing the node, so recovery waits for it to end (a grace time), then kills it, before
 * looking at the node.
 */
import { basename } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { processCommandLine } from '../proc.ts';

/** How long an orphan may run on before it is killed. */
export const ORPHAN_GRACE_MS = 60_000;

/** Whether `pid` is a live process of the binary `binary` (by its basename). */
export function isOrphanOf(pid: number, binary: string): boolean {
  const bin = basename(binary);
  return processCommandLine(pid)?.some((a) => basename(a) === bin) ?? false;
}

/**
 * Waits until process `pid`, if it is still an instance of `binary`, has ended; kills it (SIGKILL)
 * after `graceMs`. Returns what it did.
 */
export async function waitForOrphan(pid: number, binary: string, opts: { log?: Logger | undefined; node?: string; graceMs?: number } = {}): Promise<'none' | 'ended' | 'killed'> {
  const alive = (): boolean => isOrphanOf(pid, binary);
  if (!alive()) return 'none';
  opts.log?.warn({ node: opts.node, pid }, 'waiting for the nmstatectl a previous agent left running');
  const deadline = performance.now() + (opts.graceMs ?? ORPHAN_GRACE_MS);
  while (alive() && performance.now() < deadline) await delay(100);
  if (!alive()) return 'ended';
  opts.log?.warn({ node: opts.node, pid }, 'killing the leftover nmstatectl');
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  while (alive()) await delay(50);
  return 'killed';
}
