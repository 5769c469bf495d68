/**
 * nmstatectl argument lists per backend (pure). The subcommand comes first: nmstatectl 2.2.62 (clap 4)
 * rejects subcommand flags before it, and the global `-q` is accepted after it too, which also keeps
 * the benchmark stub (it reads the subcommand from `$1`) working. `-q` keeps stderr down to the error
 * line that {@link parseNmstateError} reads; states go through stdin (`-`).
 */
import type { NmstateMode } from './types.ts';

/** `nmstatectl show --json` (kernel: `-k`). */
export function showArgs(mode: NmstateMode): string[] {
  return ['show', '-q', '--json', ...(mode === 'kernel' ? ['-k'] : [])];
}

/** Options of {@link applyArgs}. */
export interface ApplyArgsOptions {
  /**
   * NetworkManager mode: keep the checkpoint (`--no-commit`) so probes can run before `commit`
   * or `rollback`. Ignored in kernel mode, where there is no checkpoint. @default true
   */
  noCommit?: boolean;
  /** NetworkManager checkpoint timeout in seconds: NetworkManager rolls back by itself after it. */
  checkpointTimeoutSeconds?: number;
  /** Skip nmstate's verification (`--no-verify`); knmstate's restore compares on its own. */
  noVerify?: boolean;
}

/**
 * `nmstatectl apply` of the state on stdin.
 * - kernel: `apply -q -k -`;
 * - NetworkManager: `apply -q --no-commit --timeout <s> -` (or a plain `apply -q -` when `noCommit` is false);
 * - `--no-verify` before the `-` when asked.
 */
export function applyArgs(mode: NmstateMode, opts: ApplyArgsOptions = {}): string[] {
  const verify = opts.noVerify ? ['--no-verify'] : [];
  if (mode === 'kernel') return ['apply', '-q', '-k', ...verify, '-'];
  if (opts.noCommit === false) return ['apply', '-q', ...verify, '-'];
  const timeout = opts.checkpointTimeoutSeconds ?? 480;
  if (!Number.isInteger(timeout) || timeout < 1) throw new RangeError(`checkpointTimeoutSeconds must be a positive integer, got ${timeout}`);
  return ['apply', '-q', '--no-commit', '--timeout', String(timeout), ...verify, '-'];
}

/** `nmstatectl commit` of NetworkManager's first active checkpoint (NetworkManager mode only). */
export function commitArgs(): string[] {
  return ['commit', '-q'];
}

/** `nmstatectl rollback` to NetworkManager's first active checkpoint (NetworkManager mode only). */
export function rollbackArgs(): string[] {
  return ['rollback', '-q'];
}

/** Files of one `nmstatectl policy` call. */
export interface PolicyArgsFiles {
  /** The policy document `{capture, desiredState}` (JSON). */
  policy: string;
  /** The node's current state (`show` output), so policy never queries NetworkManager itself. */
  current: string;
  /** Where nmstatectl writes the captured states. */
  capturedOut: string;
  /** Earlier captures to reuse instead of evaluating the expressions again (upstream's cache). */
  capturedIn?: string;
}

/** `nmstatectl policy -q --json -c CUR -o OUT [-a IN] POLICY`, upstream's call with the current state always given. */
export function policyArgs(files: PolicyArgsFiles): string[] {
  return ['policy', '-q', '--json', '-c', files.current, '-o', files.capturedOut, ...(files.capturedIn ? ['-a', files.capturedIn] : []), files.policy];
}

/**
 * `nmstatectl validate [-c CUR] -`: nmstate's own check of the state on stdin, offline; with the
 * node's current state it also checks references (a missing interface, a route's next-hop interface).
 */
export function validateArgs(currentFile?: string): string[] {
  return ['validate', '-q', ...(currentFile ? ['-c', currentFile] : []), '-'];
}

/** `nmstatectl version`. */
export function versionArgs(): string[] {
  return ['version'];
}
