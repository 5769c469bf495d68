/**
 * Facts about local processes from `/proc`, to tell a live process from a reused PID or a zombie.
 * The node agent's journal lock and its orphan handling use them; so does the local cluster harness.
 */
import { readFileSync } from 'node:fs';

/**
 * A process's kernel start time (`/proc/<pid>/stat` field 22), or undefined when it is gone or a
 * zombie: the same PID with the same start time is the same process.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    if (state === 'Z' || state === 'X') return undefined;
    return rest[19];
  } catch {
    return undefined;
  }
}

/** A live (not zombie) process's command line, or undefined when it is gone. */
export function processCommandLine(pid: number): string[] | undefined {
  if (processStartTime(pid) === undefined) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}
