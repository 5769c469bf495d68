/**
 * One node's agent logic: the apply protocol with probes and exact rollback, revert, show, plan,
 * and crash recovery through the journal. {@link createNodeActivities} exposes it as the four
 * Temporal activities of the node's task queue.
 *
 * applyNodeState, step by step (upstream's per-node protocol, pkg/client/client.go, plus a journal):
 *  0. recover: an attempt a crash left half-done is finished (it had committed) or undone first;
 *  1. validate the desired state (knmstate's checks; field paths and rules);
 *  2. NetworkManager mode: roll back a leftover checkpoint (a crashed attempt's, or anyone's), as
 *     upstream does, before the snapshot, so the snapshot is the state that stays;
 *  3. snapshot: `nmstatectl show`; render captures with `nmstatectl policy` against it;
 *  4. fail fast on link kinds this node's kernel cannot create (./kernel-support.ts): nmstatectl in
 *     NetworkManager mode would retry them for ~2 minutes before failing;
 *  5. select probes: ping and dns only if they pass now; api-server and node-readiness always;
 *  6. journal the attempt (snapshot + rendered state), then apply (NM: `--no-commit --timeout T`,
 *     T from {@link checkpointTimeoutSeconds});
 *  7. run the selected probes;
 *  8. all pass: commit (NM) and record the snapshot for revertNodeState; a probe fails: roll back
 *     (NM: `nmstatectl rollback`; kernel: restore the snapshot) and probe again so the node settles;
 *  9. any failure after the node was touched: put back, check the result equals the snapshot
 *     (ignoring runtime-only fields), and fail with the difference if it does not.
 *
 * NetworkManager's own failures are typed (./errors.ts): `NetworkManagerUnavailable` (D-Bus),
 * `CheckpointConflict` (another checkpoint appeared after step 2; nothing changed) and
 * `CheckpointExpired` (the commit found no checkpoint: NetworkManager's timeout rolled back first).
 * Mutations of one node are serialised; reads (show, plan) run alongside. The activity heartbeats
 * throughout and, when cancelled, puts the node back before it rethrows the cancellation.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { KubeClient } from '../kube/client.ts';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { validateDesiredState } from '../../crd/desired-state.ts';
import { NmstateCommandError } from '../nmstate/errors.ts';
import type { NmstateDriver } from '../nmstate/driver.ts';
import type { CapturedStates, CommandTiming, NetworkState } from '../nmstate/types.ts';
import { filterNetworkState } from '../nns/filter.ts';
import {
  CaptureRenderFailed,
  CheckpointConflict,
  CheckpointExpired,
  InvalidDesiredState,
  NetworkManagerUnavailable,
  NmstateFailed,
  NmstateTimeout,
  ProbeFailed,
  RollbackFailed,
  UnsupportedDesiredState,
  VerificationFailed,
  type NodeErrorType,
} from './errors.ts';
import { NON_RETRYABLE_NODE_ERRORS as NON_RETRYABLE } from './errors.ts';
import type { InflightRecord, Journal } from './journal.ts';
import { execDnsLookup, inProcessDnsLookup, probeFailureMessage, runProbes, selectedProbesTimeoutMs, selectProbes, type DnsLookup, type ProbeContext } from './probes.ts';
import { KernelSupport } from './kernel-support.ts';
import { linksToCreate } from './link-kinds.ts';
import { captureNodeViews, restoreViews, type NodeViews, type ViewDeps } from './restore.ts';
import { compareStates, diffSummary, fullScope, isEmptyState, lostLinkLocal, normalizeState, restoreState, scopeOf, withDefaultBridgeVlan } from './state.ts';
import {
  applyNodeStateInputSchema as applyInputSchema,
  planNodeInputSchema as planInputSchema,
  revertNodeStateInputSchema as revertInputSchema,
  type ApplyDurations,
  type ApplyFailureDetails,
  type ApplyNodeStateInput,
  type ApplyNodeStateResult,
  type NodeActivities,
  type PlanNodeInput,
  type PlanNodeResult,
  type ProbeReport,
  type RecoveryReport,
  type RevertNodeStateInput,
  type RevertNodeStateResult,
  type ShowNodeStateInput,
  type ShowNodeStateResult,
} from './contract.ts';
import { DEFAULT_PROBE_SETTINGS, mergeProbeSettings, type ProbeSettings, type ProbeSettingsInput } from '../../crd/probes.ts';

/** What a node agent needs. */
export interface NodeAgentDeps {
  /** Kubernetes node name; the agent serves `knmstate.node.<node>`. */
  node: string;
  driver: NmstateDriver;
  journal: Journal;
  /** For the api-server and node-readiness probes (a fresh connection per probe). */
  kube: KubeClient;
  /** @default 'ping' */
  pingBin?: string;
  /** iproute2 `ip`: records the kernel view before a change and puts it back exactly (./restore.ts). @default 'ip' */
  ipBin?: string;
  /** NetworkManager mode: `nmcli`, to record and put back devices and profiles (./restore.ts). @default 'nmcli' */
  nmcliBin?: string;
  /** @default in-process for a host node, the dns-lookup helper inside the namespace for a simulated node */
  dnsLookup?: DnsLookup;
  /** Defaults for every apply (an apply's `probes` input overrides them); unset fields: crd/probes.ts `DEFAULT_PROBE_SETTINGS`. */
  probes?: ProbeSettingsInput;
  /**
   * Inject upstream's default VLAN trunk on linux-bridge ports without `vlan` (NetworkManager mode
   * only: kernel mode cannot apply it). `auto`: when this node's kernel has bridge VLAN filtering
   * (asked once through {@link KernelSupport}). @default 'auto'
   */
  defaultBridgeVlan?: boolean | 'auto';
  /**
   * NetworkManager mode: seconds added to the probe timeout to make the checkpoint timeout
   * (`apply --timeout T`, T = probe timeout + this); see {@link checkpointTimeoutSeconds}. @default 30
   */
  checkpointMarginSeconds?: number;
  /** What the node's kernel can create. @default probes through the driver's exec */
  kernelSupport?: KernelSupport;
  logger?: Logger;
  /** Called after the node's state changed (apply, rollback, revert), e.g. to refresh NodeNetworkState. */
  onStateChanged?: (reason: string) => unknown;
  /** @default 1000 */
  heartbeatIntervalMs?: number;
}

type Obj = Record<string, unknown>;

/** Default of {@link NodeAgentDeps.checkpointMarginSeconds}. */
export const DEFAULT_CHECKPOINT_MARGIN_SECONDS = 30;

/**
 * The NetworkManager checkpoint timeout of one apply (`apply --no-commit --timeout T`), in seconds:
 * T = ceil(probe timeout) + margin. nmstate re-arms the checkpoint timer before every apply and verify
 * step and once more when the apply returns, so T must cover (a) the longest single apply step under
 * load and (b) everything between the apply's return and the commit: the probes (they run in
 * parallel, each for at most the probe timeout) and the commit itself. The margin covers (a) and the
 * commit: whole applies took 5-12 s with 50-100 in parallel on 2 cores (nm-in-netns.md), the commit
 * 0.01-1.5 s; 30 s leaves more than twice that. Upstream uses a fixed 480 s (2 × (120 + 120) s of
 * sequential probes); with the default 120 s probe timeout knmstate's T is 150 s, so a node whose
 * agent died before committing is back to its old state 150 s after the apply at the latest.
 */
export function checkpointTimeoutSeconds(probeTimeoutMs: number, marginSeconds = DEFAULT_CHECKPOINT_MARGIN_SECONDS): number {
  if (!(probeTimeoutMs >= 0) || !Number.isFinite(probeTimeoutMs)) throw new Error(`probe timeout must be a non-negative number of milliseconds, got ${probeTimeoutMs}`);
  if (!Number.isInteger(marginSeconds) || marginSeconds < 1) throw new Error(`checkpointMarginSeconds must be a positive integer, got ${marginSeconds}`);
  return Math.ceil(probeTimeoutMs / 1000) + marginSeconds;
}

const msSince = (t: number): number => Math.round(performance.now() - t);
const sum = (ts: CommandTiming[]): number => Math.round(ts.reduce((a, t) => a + t.durationMs, 0));

/** The activity context, when running inside one. */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats at a steady pace and on every phase change (Temporal throttles what it sends). */
class Heartbeat {
  readonly #ctx: Context | undefined;
  #details: Obj;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(ctx: Context | undefined, intervalMs: number, details: Obj) {
    this.#ctx = ctx;
    this.#details = details;
    if (ctx) {
      ctx.heartbeat(details);
      this.#timer = setInterval(() => ctx.heartbeat(this.#details), intervalMs);
      this.#timer.unref();
    }
  }

  phase(phase: string): void {
    this.#details = { ...this.#details, phase };
    this.#ctx?.heartbeat(this.#details);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}

function problemsOf(issues: readonly z.core.$ZodIssue[], prefix: string): { path: string; rule: string; message: string }[] {
  return issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    return { path, rule: i.code, message: `${path}: ${i.message}` };
  });
}

/** The per-node agent; see the module comment for the protocol. */
export class NodeAgent {
  readonly node: string;
  readonly driver: NmstateDriver;
  readonly journal: Journal;
  readonly #deps: NodeAgentDeps;
  readonly #log: Logger | undefined;
  readonly #probeDefaults: ProbeSettings;
  readonly #dnsLookup: DnsLookup;
  readonly #kernel: KernelSupport;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(deps: NodeAgentDeps) {
    this.node = deps.node;
    this.driver = deps.driver;
    this.journal = deps.journal;
    this.#deps = deps;
    this.#log = deps.logger;
    this.#probeDefaults = mergeProbeSettings(DEFAULT_PROBE_SETTINGS, deps.probes);
    this.#dnsLookup = deps.dnsLookup ?? (deps.driver.exec.netns ? execDnsLookup(deps.driver.exec) : inProcessDnsLookup);
    this.#kernel = deps.kernelSupport ?? new KernelSupport(deps.driver.exec, { ipBin: deps.ipBin ?? 'ip' });
    checkpointTimeoutSeconds(0, deps.checkpointMarginSeconds ?? DEFAULT_CHECKPOINT_MARGIN_SECONDS);
  }

  /** The four activities, bound to this node. */
  activities(): NodeActivities {
    return {
      applyNodeState: (input) => this.apply(input),
      revertNodeState: (input) => this.revert(input),
      showNodeState: (input) => this.show(input),
      planNode: (input) => this.plan(input),
    };
  }

  /** Runs node mutations one at a time. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Parses an activity's input; bad input is a non-retryable InvalidDesiredState naming each field. */
  #parseInput<S extends z.ZodType>(schema: S, raw: unknown, activity: string, ids: { policy: string; generation: number }): z.infer<S> {
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const problems = problemsOf(parsed.error.issues, '');
    throw this.#fail(InvalidDesiredState, { node: this.node, ...ids, type: InvalidDesiredState, message: `invalid ${activity} input: ${problems.map((p) => p.message).join('; ')}`, problems, rolledBack: false });
  }

  #fail(type: NodeErrorType, details: ApplyFailureDetails, cause?: unknown): ApplicationFailure {
    const nonRetryable = (NON_RETRYABLE as readonly string[]).includes(type);
    this.#log?.warn({ node: this.node, policy: details.policy, generation: details.generation, type, rolledBack: details.rolledBack, remaining: details.remainingDifferences }, details.message);
    return ApplicationFailure.create({ message: details.message, type, nonRetryable, details: [details], ...(cause instanceof Error ? { cause } : {}) });
  }

  #probeContext(timings: CommandTiming[]): ProbeContext {
    return {
      node: this.node,
      exec: this.driver.exec,
      show: () => this.driver.show({ timings }),
      pingBin: this.#deps.pingBin ?? 'ping',
      dnsLookup: this.#dnsLookup,
      kube: this.#deps.kube,
    };
  }

  async #notify(reason: string): Promise<void> {
    if (!this.#deps.onStateChanged) return;
    try {
      await Promise.race([Promise.resolve(this.#deps.onStateChanged(reason)), delay(5_000, undefined, { ref: false })]);
    } catch (err) {
      this.#log?.warn({ node: this.node, err }, 'state-change notification failed');
    }
  }

  /**
   * Puts the node back to `target` within the scope of `desired` (the whole state without it):
   * applies the restore state (kernel: without nmstate's verification), puts back IPv6 link-local
   * addresses the kernel-mode apply dropped, and compares; a second round if something remains.
   * With `compareOnly` (after a NetworkManager checkpoint rollback, which is authoritative: knmstate
   * does not write NetworkManager profiles on top of it) it only compares, ignoring route metrics.
   * Returns the actions taken and the differences left (empty = clean).
   */
  async restore(target: NetworkState, desired: NetworkState | undefined, timings: CommandTiming[] = [], opts: { compareOnly?: boolean; views?: NodeViews | undefined } = {}): Promise<{ actions: string[]; differences: string[] }> {
    const before = normalizeState(target);
    const scope = desired ? scopeOf(desired, before) : fullScope();
    const actions: string[] = [];
    let differences: string[] = [];
    if (opts.compareOnly) {
      // The checkpoint put NetworkManager's side back; the recorded views put back what it does not see (./restore.ts).
      const exact = opts.views ? await restoreViews(this.#viewDeps(), opts.views, scope) : { actions: [], differences: [] };
      const now = normalizeState(await this.driver.show({ timings }));
      return { actions: exact.actions, differences: [...compareStates(before, now, scope, { ignoreRouteMetric: true }), ...exact.differences] };
    }
    for (let round = 1; round <= 2; round++) {
      let now = normalizeState(await this.driver.show({ timings }));
      const plan = restoreState(before, now, scope);
      if (!isEmptyState(plan.state)) {
        try {
          await this.driver.apply(plan.state, { timings, commit: true, noVerify: this.driver.mode === 'kernel' });
        } catch (err) {
          actions.push(`round ${round}: restore apply failed: ${(err as Error).message}`);
        }
        actions.push(...plan.actions);
        now = normalizeState(await this.driver.show({ timings }));
      }
      if (this.driver.mode === 'kernel') {
        const lost = lostLinkLocal(before, now, scope);
        for (const { iface, address } of lost) {
          const r = await this.driver.exec.run(this.#deps.ipBin ?? 'ip', ['-6', 'addr', 'add', address, 'dev', iface, 'scope', 'link'], { timeoutMs: 10_000 });
          actions.push(`re-add link-local ${address} on ${iface}${r.exitCode === 0 ? '' : `: ${r.stderr.trim()}`}`);
        }
        if (lost.length) now = normalizeState(await this.driver.show({ timings }));
      }
      differences = compareStates(before, now, scope);
      if (!differences.length) break;
    }
    if (opts.views) {
      const exact = await restoreViews(this.#viewDeps(), opts.views, scope);
      actions.push(...exact.actions);
      differences = [...compareStates(before, normalizeState(await this.driver.show({ timings })), scope), ...exact.differences];
    }
    return { actions, differences };
  }

  /** What the recorded views are read and put back with. */
  #viewDeps(): ViewDeps {
    return { exec: this.driver.exec, mode: this.driver.mode, ipBin: this.#deps.ipBin ?? 'ip', nmcliBin: this.#deps.nmcliBin ?? 'nmcli' };
  }

  /** The views to record before a change; undefined (with a warning) when they cannot be read, e.g. without nmcli. */
  async #captureViews(): Promise<NodeViews | undefined> {
    try {
      return await captureNodeViews(this.#viewDeps());
    } catch (err) {
      this.#log?.warn({ node: this.node, err }, 'cannot record the kernel and NetworkManager views; a restore will be checked against nmstate state only');
      return undefined;
    }
  }

  /** Waits for an nmstatectl a killed agent left running (same PID in the journal), killing it after a grace time. */
  async #waitForOrphan(pid: number): Promise<void> {
    const bin = basename(this.driver.binary);
    const isOurs = (): boolean => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => basename(a) === bin);
      } catch {
        return false;
      }
    };
    const deadline = performance.now() + 60_000;
    if (isOurs()) this.#log?.warn({ node: this.node, pid }, 'waiting for the nmstatectl a previous agent left running');
    while (isOurs() && performance.now() < deadline) await delay(100);
    if (isOurs()) {
      this.#log?.warn({ node: this.node, pid }, 'killing the leftover nmstatectl');
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      while (isOurs()) await delay(50);
    }
  }

  /**
   * Finishes or undoes an attempt a crash left half-done (the journal's inflight record): an apply
   * that had committed is completed; anything else is put back to its snapshot (NetworkManager:
   * rollback of the leftover checkpoint first); an interrupted revert is completed. Throws
   * RollbackFailed when the node cannot be put back (the record stays for the next try).
   */
  recover(): Promise<RecoveryReport | undefined> {
    return this.#exclusive(() => this.#recover());
  }

  async #recover(timings: CommandTiming[] = []): Promise<RecoveryReport | undefined> {
    const rec = await this.journal.readInflight();
    if (!rec) return undefined;
    this.#log?.warn({ node: this.node, op: rec.op, policy: rec.policy, generation: rec.generation, phase: rec.phase, agentPid: rec.agentPid }, 'recovering a half-done attempt');
    if (rec.childPid) await this.#waitForOrphan(rec.childPid);
    const base = { op: rec.op, policy: rec.policy, generation: rec.generation, phase: rec.phase };
    if (rec.op === 'apply' && rec.phase === 'committed') {
      await this.journal.recordApplied({ policy: rec.policy, generation: rec.generation, appliedAt: rec.updatedAt, snapshot: rec.target, desired: rec.desired, ...(rec.views ? { views: rec.views } : {}) });
      await this.journal.clearInflight();
      return { ...base, action: 'finished', actions: [], differences: [] };
    }
    const actions: string[] = [];
    if (this.driver.mode === 'networkmanager' && rec.op === 'apply') {
      const rolledBack = await this.driver.rollbackLeftover({ timings });
      if (rolledBack) actions.push('rolled back the leftover NetworkManager checkpoint');
      else if (rec.phase === 'committing') {
        // No checkpoint left: it was committed (or NetworkManager's timeout rolled it back). Equal to the snapshot = rolled back.
        const now = normalizeState(await this.driver.show({ timings }));
        const before = normalizeState(rec.target);
        if (compareStates(before, now, scopeOf(rec.desired, before)).length) {
          await this.journal.recordApplied({ policy: rec.policy, generation: rec.generation, appliedAt: rec.updatedAt, snapshot: rec.target, desired: rec.desired, ...(rec.views ? { views: rec.views } : {}) });
          await this.journal.clearInflight();
          return { ...base, action: 'finished', actions: ['the checkpoint had been committed'], differences: [] };
        }
      }
    }
    await this.journal.writeInflight({ ...rec, phase: 'restoring', childPid: undefined });
    // NetworkManager: its checkpoint (rolled back above, or by its own timeout) is what undoes an apply.
    const r = await this.restore(rec.target, rec.desired, timings, { compareOnly: this.driver.mode === 'networkmanager' && rec.op === 'apply', views: rec.views });
    actions.push(...r.actions);
    const report: RecoveryReport = { ...base, action: 'undone', actions, differences: r.differences };
    if (r.differences.length) {
      throw this.#fail(RollbackFailed, {
        node: this.node,
        policy: rec.policy,
        generation: rec.generation,
        type: RollbackFailed,
        message: `could not put node ${this.node} back after an interrupted ${rec.op} of ${rec.policy} generation ${rec.generation}: ${r.differences.join('; ')} (journal ${this.journal.dir}/inflight.json kept)`,
        rolledBack: true,
        restoreActions: actions,
        remainingDifferences: r.differences,
        recovered: report,
      });
    }
    if (rec.op === 'revert') await this.journal.removeApplied(rec.policy, rec.generation);
    await this.journal.clearInflight();
    this.#log?.info({ node: this.node, ...base, actions }, 'half-done attempt put back');
    await this.#notify('recovery');
    return report;
  }

  /** Renders captures against `current` (only when the state has captures or templates). */
  async #render(input: { desiredState: NetworkState; capture?: Record<string, string> | undefined; capturedStates?: CapturedStates | undefined }, current: NetworkState, timings: CommandTiming[], ids: { policy: string; generation: number }): Promise<{ state: NetworkState; capturedStates: CapturedStates }> {
    const hasCapture = !!input.capture && Object.keys(input.capture).length > 0;
    let out: { state: NetworkState; capturedStates: CapturedStates } = { state: input.desiredState, capturedStates: {} };
    if (hasCapture || JSON.stringify(input.desiredState).includes('{{')) {
      try {
        out = await this.driver.renderPolicy({ capture: input.capture ?? {}, desiredState: input.desiredState, current, ...(input.capturedStates ? { capturedStates: input.capturedStates } : {}) }, { timings });
      } catch (err) {
        if (!(err instanceof NmstateCommandError)) throw err;
        throw this.#fail(CaptureRenderFailed, { node: this.node, ...ids, type: CaptureRenderFailed, message: `failure generating desiredState and capturedStates: ${err.parsed.message}`, rolledBack: false }, err);
      }
    }
    const setting = this.#deps.defaultBridgeVlan ?? 'auto';
    const vlan = this.driver.mode === 'networkmanager' && (setting === 'auto' ? (await this.#kernel.bridgeVlanFiltering()).supported !== false : setting);
    return { state: vlan ? withDefaultBridgeVlan(out.state) : out.state, capturedStates: out.capturedStates };
  }

  #validate(state: unknown, ids: { policy: string; generation: number }, what: string): void {
    const problems = validateDesiredState(state);
    if (problems.length) {
      throw this.#fail(InvalidDesiredState, { node: this.node, ...ids, type: InvalidDesiredState, message: `invalid ${what}: ${problems.map((p) => p.message).join('; ')}`, problems, rolledBack: false });
    }
  }

  /** Maps an nmstatectl failure of `apply` to the activity failure type. */
  static failureType(err: unknown): NodeErrorType {
    if (!(err instanceof NmstateCommandError)) return NmstateFailed;
    switch (err.parsed.class) {
      case 'invalid-input':
        return InvalidDesiredState;
      case 'unsupported':
        return UnsupportedDesiredState;
      case 'capture':
        return CaptureRenderFailed;
      case 'verification':
        return VerificationFailed;
      case 'timeout':
        return NmstateTimeout;
      case 'nm-unavailable':
        return NetworkManagerUnavailable;
      case 'checkpoint-conflict':
        return CheckpointConflict;
      case 'no-checkpoint':
        return CheckpointExpired;
      default:
        return NmstateFailed;
    }
  }

  /**
   * Undoes the journalled attempt `rec` and checks the result: NetworkManager mode rolls back the
   * checkpoint (after a failed apply nmstate already has) and only compares; kernel mode restores
   * the snapshot itself.
   */
  async #undo(rec: InflightRecord, timings: CommandTiming[], nmRollback: boolean): Promise<{ actions: string[]; differences: string[] }> {
    await this.journal.writeInflight({ ...rec, phase: 'restoring', childPid: undefined });
    const actions: string[] = [];
    if (this.driver.mode === 'networkmanager' && nmRollback) {
      try {
        await this.driver.rollback({ timings });
        actions.push('nmstatectl rollback');
      } catch (err) {
        if (!(err instanceof NmstateCommandError && err.parsed.class === 'no-checkpoint')) actions.push(`nmstatectl rollback failed: ${(err as Error).message}`);
      }
    }
    const r = await this.restore(rec.target, rec.desired, timings, { compareOnly: this.driver.mode === 'networkmanager', views: rec.views });
    actions.push(...r.actions);
    if (!r.differences.length) await this.journal.clearInflight();
    await this.#notify('rollback');
    return { actions, differences: r.differences };
  }

  /** applyNodeState; see the module comment. */
  async apply(raw: ApplyNodeStateInput): Promise<ApplyNodeStateResult> {
    const ids = { policy: String(raw?.policy ?? ''), generation: Number(raw?.generation ?? -1) };
    const input = this.#parseInput(applyInputSchema, raw, 'applyNodeState', ids);
    this.#validate(input.desiredState, ids, 'desiredState');
    const ctx = activityContext();
    const signal = ctx?.cancellationSignal;
    const hb = new Heartbeat(ctx, this.#deps.heartbeatIntervalMs ?? 1_000, { node: this.node, policy: input.policy, generation: input.generation, phase: 'queued' });
    try {
      return await this.#exclusive(() => this.#apply(input, hb, signal));
    } catch (err) {
      throw this.#unavailable(err, ids);
    } finally {
      hb.stop();
    }
  }

  /**
   * NetworkManager out of reach (D-Bus) anywhere in an operation: a retryable `NetworkManagerUnavailable`
   * instead of the raw command error. A half-done attempt stays in the journal for the next one.
   */
  #unavailable(err: unknown, ids: { policy: string; generation: number }): unknown {
    if (!(err instanceof NmstateCommandError) || err.parsed.class !== 'nm-unavailable') return err;
    return this.#fail(NetworkManagerUnavailable, {
      node: this.node,
      ...ids,
      type: NetworkManagerUnavailable,
      message: `NetworkManager on node ${this.node} cannot be reached over D-Bus (nmstatectl ${err.subcommand}: ${err.parsed.message})`,
      rolledBack: false,
    }, err);
  }

  /** Step 4: fails (non-retryable, nothing touched) when the kernel cannot create a link kind the state needs. */
  async #checkLinkKinds(desired: NetworkState, current: NetworkState, ids: { policy: string; generation: number }, renderedState: NetworkState, capturedStates: CapturedStates): Promise<void> {
    const problems: { path: string; rule: string; message: string }[] = [];
    for (const l of linksToCreate(desired, current)) {
      const a = await this.#kernel.linkKind(l.kind);
      if (a.supported === false) {
        problems.push({
          path: `${l.path}.type`,
          rule: 'kernel-link-kind',
          message: `${l.path}.type: node ${this.node}'s kernel cannot create ${l.type} interface ${l.name} (link kind '${l.kind}' unknown to the kernel: ${a.detail ?? 'not supported'}; the ${l.module} module is missing)`,
        });
      }
    }
    if (!problems.length) return;
    throw this.#fail(UnsupportedDesiredState, {
      node: this.node,
      ...ids,
      type: UnsupportedDesiredState,
      message: `unsupported on this node: ${problems.map((p) => p.message).join('; ')}; nothing was changed`,
      problems,
      renderedState,
      capturedStates,
      rolledBack: false,
    });
  }

  async #apply(input: ApplyNodeStateInput, hb: Heartbeat, signal: AbortSignal | undefined): Promise<ApplyNodeStateResult> {
    const t0 = performance.now();
    const ids = { policy: input.policy, generation: input.generation };
    const timings: CommandTiming[] = [];
    const probeTimings: CommandTiming[] = [];
    const d: ApplyDurations = { totalMs: 0, renderMs: 0, probeSelectMs: 0, applyMs: 0, probeMs: 0, commitMs: 0, restoreMs: 0, nmstatectlMs: 0, overheadMs: 0 };
    const finish = (): ApplyDurations => {
      d.totalMs = msSince(t0);
      d.nmstatectlMs = sum(timings);
      d.overheadMs = Math.max(0, d.totalMs - d.nmstatectlMs - d.probeSelectMs - d.probeMs);
      return d;
    };
    const cancelled = (): never => {
      throw signal?.reason instanceof Error ? signal.reason : new Error('cancelled');
    };

    hb.phase('recover');
    const recovered = await this.#recover(timings);
    const alreadyApplied = !!(await this.journal.findApplied(input.policy, input.generation));
    if (this.driver.mode === 'networkmanager' && (await this.driver.rollbackLeftover({ timings }))) this.#log?.warn({ node: this.node }, 'rolled back a leftover checkpoint before applying');

    hb.phase('render');
    let t = performance.now();
    const snapshot = await this.driver.show({ timings });
    const views = await this.#captureViews();
    const { state: rendered, capturedStates } = await this.#render(input, snapshot, timings, ids);
    this.#validate(rendered, ids, 'rendered desiredState');
    d.renderMs = msSince(t);
    const base = { node: this.node, ...ids, mode: this.driver.mode, renderedState: rendered, capturedStates, ...(recovered ? { recovered } : {}), ...(alreadyApplied ? { alreadyApplied } : {}) };
    if (isEmptyState(rendered)) {
      this.#log?.info({ node: this.node, ...ids }, 'Ignoring empty desired state');
      return { ...base, outcome: 'empty', probes: [], durations: finish(), diff: diffSummary(snapshot, rendered), nmstateOutput: '' };
    }
    const diff = diffSummary(snapshot, rendered);

    hb.phase('kernel-check');
    await this.#checkLinkKinds(rendered, snapshot, ids, rendered, capturedStates);

    hb.phase('select-probes');
    t = performance.now();
    const settings = mergeProbeSettings(this.#probeDefaults, input.probes);
    const probeCtx = this.#probeContext(probeTimings);
    let probes: ProbeReport[];
    try {
      probes = await selectProbes(probeCtx, settings, signal);
    } catch (err) {
      if (signal?.aborted) cancelled();
      throw err;
    }
    d.probeSelectMs = msSince(t);
    if (signal?.aborted) cancelled();
    const checkpointTimeout = this.driver.mode === 'networkmanager' ? checkpointTimeoutSeconds(selectedProbesTimeoutMs(probes, settings), this.#deps.checkpointMarginSeconds) : undefined;

    const rec: InflightRecord = {
      version: 1,
      id: randomUUID(),
      op: 'apply',
      ...ids,
      mode: this.driver.mode,
      phase: 'applying',
      target: snapshot,
      ...(views ? { views } : {}),
      desired: rendered,
      capturedStates,
      agentPid: process.pid,
      startedAt: new Date().toISOString(),
      updatedAt: '',
    };
    await this.journal.writeInflight(rec);
    /**
     * Puts the node back after nmstatectl touched it and throws the failure. `probeFailure`: upstream
     * probes again after a rollback so the node settles before the next attempt, and its message
     * (already saying "rolling back") gets no suffix.
     */
    const failAfterTouch = async (type: NodeErrorType, message: string, cause: unknown, nmRollback: boolean, probeFailure = false): Promise<never> => {
      hb.phase('rollback');
      const tr = performance.now();
      const undo = await this.#undo(rec, timings, nmRollback);
      d.restoreMs = msSince(tr);
      if (probeFailure) await runProbes(probes, probeCtx, settings, 'afterRollback', signal).catch(() => undefined);
      const clean = undo.differences.length === 0;
      const details: ApplyFailureDetails = {
        node: this.node,
        ...ids,
        type: clean ? type : RollbackFailed,
        message: !clean
          ? `${message}; putting node ${this.node} back left differences: ${undo.differences.join('; ')}`
          : probeFailure
            ? message
            : undo.actions.length
              ? `${message} (node ${this.node} put back to its state before the apply)`
              : `${message} (node ${this.node} unchanged)`,
        renderedState: rendered,
        capturedStates,
        probes,
        rolledBack: true,
        restoreActions: undo.actions,
        remainingDifferences: undo.differences,
        durations: finish(),
        ...(recovered ? { recovered } : {}),
      };
      throw this.#fail(details.type, details, cause);
    };

    hb.phase('apply');
    t = performance.now();
    let nmstateOutput: string;
    try {
      const out = await this.driver.apply(rendered, {
        timings,
        ...(checkpointTimeout ? { checkpointTimeoutSeconds: checkpointTimeout } : {}),
        onSpawn: (pid) => {
          void this.journal.writeInflight({ ...rec, childPid: pid }).catch(() => undefined);
        },
      });
      nmstateOutput = out.diff;
    } catch (err) {
      d.applyMs = msSince(t);
      const msg = err instanceof NmstateCommandError ? err.parsed.message : (err as Error).message;
      if (err instanceof NmstateCommandError && err.parsed.class === 'checkpoint-conflict') {
        // nmstate refused before touching anything: someone created a checkpoint after step 2.
        await this.journal.clearInflight();
        throw this.#fail(CheckpointConflict, {
          node: this.node,
          ...ids,
          type: CheckpointConflict,
          message: `${msg} (another NetworkManager checkpoint is pending on node ${this.node}; nothing was changed; the next attempt rolls it back first)`,
          renderedState: rendered,
          capturedStates,
          probes,
          rolledBack: false,
          durations: finish(),
        }, err);
      }
      // NetworkManager has already rolled back to its own checkpoint when apply fails.
      return failAfterTouch(NodeAgent.failureType(err), msg, err, false);
    }
    d.applyMs = msSince(t);
    rec.phase = 'applied';
    await this.journal.writeInflight(rec);
    const undoThenCancel = async (): Promise<never> => {
      hb.phase('rollback');
      const undo = await this.#undo(rec, timings, true);
      this.#log?.warn({ node: this.node, ...ids, actions: undo.actions, remaining: undo.differences }, 'cancelled after the apply; node put back');
      return cancelled();
    };
    if (signal?.aborted) await undoThenCancel();

    hb.phase('probe');
    t = performance.now();
    let failed: ProbeReport[];
    try {
      failed = await runProbes(probes, probeCtx, settings, 'after', signal);
    } catch (err) {
      d.probeMs = msSince(t);
      if (signal?.aborted) return undoThenCancel();
      return failAfterTouch(NmstateFailed, `probing failed: ${(err as Error).message}`, err, true);
    }
    d.probeMs = msSince(t);
    if (failed.length) {
      return failAfterTouch(ProbeFailed, probeFailureMessage(failed), undefined, true, true);
    }

    hb.phase('commit');
    t = performance.now();
    rec.phase = 'committing';
    if (this.driver.mode === 'networkmanager') await this.journal.writeInflight(rec);
    try {
      await this.driver.commit({ timings });
    } catch (err) {
      d.commitMs = msSince(t);
      if (err instanceof NmstateCommandError && err.parsed.class === 'no-checkpoint') {
        // NetworkManager's checkpoint timeout ran out before the commit and it rolled back by itself.
        return failAfterTouch(CheckpointExpired, `commit found no checkpoint: NetworkManager rolled the change back at its ${checkpointTimeout ?? '?'} s checkpoint timeout before the probes and the commit were done (${err.parsed.message})`, err, false);
      }
      // Upstream: a failed commit is returned as is; no rollback is possible at that point.
      throw this.#fail(NodeAgent.failureType(err), { node: this.node, ...ids, type: NodeAgent.failureType(err), message: `commit failed: ${(err as Error).message}`, renderedState: rendered, capturedStates, probes, rolledBack: false, durations: finish() }, err);
    }
    rec.phase = 'committed';
    await this.journal.writeInflight(rec);
    await this.journal.recordApplied({ ...ids, appliedAt: new Date().toISOString(), snapshot, desired: rendered, ...(views ? { views } : {}) });
    await this.journal.clearInflight();
    d.commitMs = msSince(t);
    const durations = finish();
    this.#log?.info({ node: this.node, ...ids, durations, changes: diff.changes }, 'desired state applied and committed');
    await this.#notify('apply');
    return { ...base, outcome: 'applied', probes, durations, diff, nmstateOutput, ...(checkpointTimeout ? { checkpointTimeoutSeconds: checkpointTimeout } : {}) };
  }

  /** revertNodeState: puts back the snapshot recorded before that policy generation's apply. */
  async revert(raw: RevertNodeStateInput): Promise<RevertNodeStateResult> {
    const ids = { policy: String(raw?.policy ?? ''), generation: Number(raw?.generation ?? -1) };
    const input = this.#parseInput(revertInputSchema, raw, 'revertNodeState', ids);
    const ctx = activityContext();
    const hb = new Heartbeat(ctx, this.#deps.heartbeatIntervalMs ?? 1_000, { node: this.node, ...ids, phase: 'queued', op: 'revert' });
    try {
      return await this.#exclusive(async () => {
        const t0 = performance.now();
        hb.phase('recover');
        const recovered = await this.#recover();
        const record = await this.journal.findApplied(input.policy, input.generation);
        const base = { node: this.node, ...input, ...(recovered ? { recovered } : {}) };
        if (!record) return { ...base, reverted: false, reason: `no record of ${input.policy} generation ${input.generation} on node ${this.node} (never applied here, or already reverted)`, actions: [], durationMs: msSince(t0) };
        hb.phase('restore');
        const rec: InflightRecord = {
          version: 1,
          id: randomUUID(),
          op: 'revert',
          ...input,
          mode: this.driver.mode,
          phase: 'restoring',
          target: record.snapshot,
          ...(record.views ? { views: record.views } : {}),
          desired: record.desired,
          agentPid: process.pid,
          startedAt: new Date().toISOString(),
          updatedAt: '',
        };
        await this.journal.writeInflight(rec);
        const r = await this.restore(record.snapshot, record.desired, [], { views: record.views });
        if (r.differences.length) {
          throw this.#fail(RollbackFailed, {
            node: this.node,
            ...input,
            type: RollbackFailed,
            message: `reverting ${input.policy} generation ${input.generation} on node ${this.node} left differences: ${r.differences.join('; ')}`,
            rolledBack: true,
            restoreActions: r.actions,
            remainingDifferences: r.differences,
          });
        }
        await this.journal.removeApplied(input.policy, input.generation);
        await this.journal.clearInflight();
        this.#log?.info({ node: this.node, ...input, actions: r.actions }, 'policy reverted');
        await this.#notify('revert');
        return { ...base, reverted: true, actions: r.actions, durationMs: msSince(t0) };
      });
    } catch (err) {
      throw this.#unavailable(err, input);
    } finally {
      hb.stop();
    }
  }

  /** showNodeState: the current state (optionally filtered like NodeNetworkState). */
  async show(input: ShowNodeStateInput = {}): Promise<ShowNodeStateResult> {
    const state = await this.driver.show();
    return { node: this.node, mode: this.driver.mode, state: input?.filtered ? filterNetworkState(state) : state, time: new Date().toISOString() };
  }

  /** planNode: renders captures and reports what an apply would change; touches nothing. */
  async plan(raw: PlanNodeInput): Promise<PlanNodeResult> {
    const ids = { policy: '', generation: 0 };
    const input = this.#parseInput(planInputSchema, raw, 'planNode', ids);
    this.#validate(input.desiredState, ids, 'desiredState');
    const current = await this.driver.show();
    const { state: rendered, capturedStates } = await this.#render(input, current, [], ids);
    this.#validate(rendered, ids, 'rendered desiredState');
    try {
      await this.driver.validate(rendered, current);
    } catch (err) {
      if (!(err instanceof NmstateCommandError)) throw err;
      const type = NodeAgent.failureType(err);
      throw this.#fail(type === NmstateFailed ? NmstateFailed : InvalidDesiredState, { node: this.node, ...ids, type: InvalidDesiredState, message: `nmstate rejects the rendered state: ${err.parsed.message}`, renderedState: rendered, rolledBack: false }, err);
    }
    return { node: this.node, mode: this.driver.mode, renderedState: rendered, capturedStates, diff: diffSummary(current, rendered), currentState: filterNetworkState(current) };
  }
}

/**
 * The node activities (`applyNodeState`, `revertNodeState`, `showNodeState`, `planNode`) of one
 * node; register them on that node's task queue (`nodeTaskQueue(node)`).
 */
export function createNodeActivities(deps: NodeAgentDeps): NodeActivities {
  return new NodeAgent(deps).activities();
}
