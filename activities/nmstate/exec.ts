/**
 * Where a node's commands run. A real agent runs with hostNetwork and calls nmstatectl, ping and the
 * DNS helper directly ({@link hostExec}). A simulated node is a network namespace: the agent process
 * stays in the host namespace and enters the node's namespace per command with
 * `ip netns exec <netns> <command> …` ({@link netnsExec}); that is a limit of the simulation (the API
 * server probe, for one, then runs from the host namespace). Commands are always argument arrays
 * (execa, never a shell).
 */
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { InvalidConfigurationError } from '../../crd/errors.ts';

/** Options of one command. */
export interface RunOptions {
  /** Written to stdin. */
  input?: string;
  /** Kill the command after this long (SIGTERM, then SIGKILL 2 s later). */
  timeoutMs?: number;
  /** Kill the command when aborted. */
  signal?: AbortSignal;
  /** Called with the child's PID right after spawn (the journal records it). */
  onSpawn?: (pid: number) => void;
}

/** Outcome of one command; a non-zero exit is not an exception. */
export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  canceled: boolean;
}

/** Runs commands on (or inside) one node. */
export interface NodeExec {
  /** `host` or `netns <name>`, for messages and logs. */
  readonly where: string;
  /** The network namespace commands run in, when the node is simulated. */
  readonly netns: string | undefined;
  run(command: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

/** Environment additions for every command (e.g. DBUS_SYSTEM_BUS_ADDRESS of a simulated node's NetworkManager). */
export interface ExecOptions {
  env?: Record<string, string>;
  /** iproute2's `ip`, used to enter a namespace. @default 'ip' */
  ipBin?: string;
}

const NETNS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

async function runCommand(file: string, args: readonly string[], opts: RunOptions, env: Record<string, string> | undefined): Promise<RunResult> {
  const started = performance.now();
  const child = execa(file, args, {
    reject: false,
    input: opts.input ?? '',
    ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    forceKillAfterDelay: 2_000,
    ...(env ? { env } : {}),
    encoding: 'utf8',
  });
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  const r = await child;
  return {
    exitCode: r.exitCode ?? (r.signal ? 128 : 1),
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    // A command that could not start at all (ENOENT …) has no stderr; its error message says why.
    stderr: r.exitCode === undefined && !r.signal && r.failed ? (r.message ?? 'failed to start') : typeof r.stderr === 'string' ? r.stderr : '',
    durationMs: performance.now() - started,
    timedOut: r.timedOut,
    canceled: r.isCanceled,
  };
}

/** Commands on the host itself (a real node, or any node when the agent runs with hostNetwork). */
export function hostExec(opts: ExecOptions = {}): NodeExec {
  return {
    where: 'host',
    netns: undefined,
    run: (command, args, o = {}) => runCommand(command, args, o, opts.env),
  };
}

/**
 * Commands inside the network namespace `netns` (a simulated node). Refuses an empty or malformed
 * name and a namespace that does not exist, so a missing node can never fall through to the host's
 * own network.
 */
export function netnsExec(netns: string, opts: ExecOptions = {}): NodeExec {
  if (!netns || !NETNS_NAME.test(netns)) throw new InvalidConfigurationError(`netnsExec: invalid network namespace name ${JSON.stringify(netns)}`);
  if (!existsSync(`/run/netns/${netns}`)) throw new InvalidConfigurationError(`netnsExec: network namespace "${netns}" does not exist (no /run/netns/${netns})`);
  const ip = opts.ipBin ?? 'ip';
  return {
    where: `netns ${netns}`,
    netns,
    run: (command, args, o = {}) => {
      if (!command) throw new TypeError('netnsExec: empty command');
      return runCommand(ip, ['netns', 'exec', netns, command, ...args], o, opts.env);
    },
  };
}
