/**
 * The nmstate driver: every nmstatectl call of one node (show, apply, commit, rollback, policy,
 * validate, version), through that node's {@link NodeExec} with argument arrays. Failures throw
 * {@link NmstateCommandError}, whose `parsed.class` tells bad input from verification failures,
 * timeouts and backend trouble. The backend (`kernel` or `networkmanager`) is fixed per driver.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeExec, RunResult } from './exec.ts';
import { NmstateCommandError } from './errors.ts';
import { applyArgs, commitArgs, policyArgs, rollbackArgs, showArgs, validateArgs, versionArgs } from './args.ts';
import type { CapturedStates, CommandTiming, NetworkState, NmstateMode } from './types.ts';
import { InvalidConfigurationError, KnmstateError } from '../../crd/errors.ts';

/** Settings of a {@link NmstateDriver}. */
export interface NmstateDriverOptions {
  exec: NodeExec;
  /** Path of nmstatectl (benchmarks point it at a stub). */
  binary: string;
  mode: NmstateMode;
  /** NetworkManager checkpoint timeout (`apply --timeout`), seconds. @default 480 (upstream's) */
  checkpointTimeoutSeconds?: number;
  /** Kill `apply` after this long. @default 300_000 */
  applyTimeoutMs?: number;
  /** Kill any other call after this long. @default 60_000 */
  commandTimeoutMs?: number;
  /** Folder for the temporary files of `policy`. @default os.tmpdir() */
  tmpDir?: string;
}

/** Per-call options. */
export interface CallOptions {
  /** Receives the duration of every nmstatectl command run for this call. */
  timings?: CommandTiming[];
  signal?: AbortSignal;
}

/** Result of {@link NmstateDriver.apply}. */
export interface ApplyOutput {
  /** What nmstatectl printed: the applied difference (YAML). */
  diff: string;
  durationMs: number;
}

/** Result of {@link NmstateDriver.renderPolicy}. */
export interface RenderOutput {
  state: NetworkState;
  capturedStates: CapturedStates;
}

export class NmstateDriver {
  readonly mode: NmstateMode;
  readonly binary: string;
  readonly exec: NodeExec;
  readonly #checkpointTimeout: number;
  readonly #applyTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  readonly #tmpDir: string;

  constructor(opts: NmstateDriverOptions) {
    if (!opts.binary) throw new InvalidConfigurationError('NmstateDriver: the nmstatectl path is empty');
    this.mode = opts.mode;
    this.binary = opts.binary;
    this.exec = opts.exec;
    this.#checkpointTimeout = opts.checkpointTimeoutSeconds ?? 480;
    this.#applyTimeoutMs = opts.applyTimeoutMs ?? 300_000;
    this.#commandTimeoutMs = opts.commandTimeoutMs ?? 60_000;
    this.#tmpDir = opts.tmpDir ?? tmpdir();
  }

  async #run(subcommand: string, args: string[], o: CallOptions & { input?: string; timeoutMs?: number; onSpawn?: (pid: number) => void } = {}): Promise<RunResult> {
    const r = await this.exec.run(this.binary, args, {
      ...(o.input !== undefined ? { input: o.input } : {}),
      timeoutMs: o.timeoutMs ?? this.#commandTimeoutMs,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onSpawn ? { onSpawn: o.onSpawn } : {}),
    });
    o.timings?.push({ command: `nmstatectl ${subcommand}`, durationMs: r.durationMs, exitCode: r.exitCode });
    if (r.exitCode !== 0 || r.timedOut || r.canceled) throw new NmstateCommandError(subcommand, r.exitCode, r.stderr, r.durationMs, r.timedOut);
    return r;
  }

  /** The node's current state (`show --json`, `-k` in kernel mode). */
  async show(o: CallOptions = {}): Promise<NetworkState> {
    const r = await this.#run('show', showArgs(this.mode), o);
    return parseJsonState(r.stdout, 'nmstatectl show');
  }

  /**
   * Applies `state`. NetworkManager mode keeps the checkpoint (`--no-commit --timeout`, the call's
   * `checkpointTimeoutSeconds` or the driver's) unless `commit` is true; kernel mode applies directly (there is no checkpoint, and a failure is not undone).
   */
  async apply(state: NetworkState, o: CallOptions & { commit?: boolean; noVerify?: boolean; checkpointTimeoutSeconds?: number; onSpawn?: (pid: number) => void } = {}): Promise<ApplyOutput> {
    const args = applyArgs(this.mode, { noCommit: !o.commit, checkpointTimeoutSeconds: o.checkpointTimeoutSeconds ?? this.#checkpointTimeout, ...(o.noVerify ? { noVerify: true } : {}) });
    const r = await this.#run('apply', args, { ...o, input: JSON.stringify(state), timeoutMs: this.#applyTimeoutMs });
    return { diff: r.stdout.trim(), durationMs: r.durationMs };
  }

  /** Commits the pending checkpoint (NetworkManager mode; a no-op in kernel mode). */
  async commit(o: CallOptions = {}): Promise<void> {
    if (this.mode === 'kernel') return;
    await this.#run('commit', commitArgs(), o);
  }

  /** Rolls back to the pending checkpoint (NetworkManager mode only). */
  async rollback(o: CallOptions = {}): Promise<void> {
    if (this.mode === 'kernel') throw new TypeError('nmstatectl rollback needs NetworkManager; kernel mode restores its own snapshot');
    await this.#run('rollback', rollbackArgs(), o);
  }

  /**
   * Rolls back a checkpoint left over from an interrupted apply, as upstream does before every apply.
   * Returns whether there was one. Kernel mode has none: false.
   */
  async rollbackLeftover(o: CallOptions = {}): Promise<boolean> {
    if (this.mode === 'kernel') return false;
    try {
      await this.#run('rollback', rollbackArgs(), o);
      return true;
    } catch (err) {
      if (err instanceof NmstateCommandError && err.parsed.class === 'no-checkpoint') return false;
      throw err;
    }
  }

  /**
   * Renders an nmpolicy (captures + templates) against `current` with `nmstatectl policy`, like
   * upstream: `--current` always given, earlier captures reused through `--captured`.
   */
  async renderPolicy(input: { capture: Record<string, string>; desiredState: NetworkState; current: NetworkState; capturedStates?: CapturedStates }, o: CallOptions = {}): Promise<RenderOutput> {
    const dir = await mkdtemp(join(this.#tmpDir, 'knmstate-policy-'));
    try {
      const files = { policy: join(dir, 'policy.json'), current: join(dir, 'current.json'), capturedOut: join(dir, 'captured-out.json'), capturedIn: join(dir, 'captured-in.json') };
      const withCache = input.capturedStates && Object.keys(input.capturedStates).length > 0;
      await Promise.all([
        writeFile(files.policy, JSON.stringify({ capture: input.capture, desiredState: input.desiredState })),
        writeFile(files.current, JSON.stringify(input.current)),
        withCache ? writeFile(files.capturedIn, JSON.stringify(input.capturedStates)) : Promise.resolve(),
      ]);
      const r = await this.#run('policy', policyArgs({ policy: files.policy, current: files.current, capturedOut: files.capturedOut, ...(withCache ? { capturedIn: files.capturedIn } : {}) }), o);
      const out = r.stdout.trim();
      const state = out ? parseJsonState(out, 'nmstatectl policy') : {};
      let capturedStates: CapturedStates = {};
      const raw = await readFile(files.capturedOut, 'utf8').catch(() => '');
      if (raw.trim()) capturedStates = JSON.parse(raw) as CapturedStates;
      return { state, capturedStates };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * nmstate's own offline check (`validate`): throws on a state nmstate would not parse and, given
   * the node's `current` state, on references it would reject (a missing interface, a route's
   * next-hop interface).
   */
  async validate(state: NetworkState, current?: NetworkState, o: CallOptions = {}): Promise<void> {
    if (!current) {
      await this.#run('validate', validateArgs(), { ...o, input: JSON.stringify(state) });
      return;
    }
    const dir = await mkdtemp(join(this.#tmpDir, 'knmstate-validate-'));
    try {
      const file = join(dir, 'current.json');
      await writeFile(file, JSON.stringify(current));
      await this.#run('validate', validateArgs(file), { ...o, input: JSON.stringify(state) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** `nmstatectl version` output, e.g. `nmstatectl 2.2.62`. */
  async version(o: CallOptions = {}): Promise<string> {
    const r = await this.#run('version', versionArgs(), o);
    return r.stdout.trim();
  }
}

function parseJsonState(text: string, what: string): NetworkState {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new KnmstateError('NmstateFailed', `${what} printed something that is not JSON: ${(err as Error).message}: ${text.slice(0, 200)}`, { cause: err });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new KnmstateError('NmstateFailed', `${what} printed ${Array.isArray(v) ? 'a list' : typeof v}, not a state object`);
  return v as NetworkState;
}
