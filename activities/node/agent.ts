/**
 * One node's agent: the apply protocol with probes and exact rollback, revert, show, plan, and crash
 * recovery through the journal. {@link createNodeActivities} exposes it as the four Temporal
 * activities of the node's task queue (contract: ./contract.ts).
 *
 * applyNodeState, step by step (upstream's per-node protocol, pkg/client/client.go, plus a journal);
 * each step is one method below, in this order:
 *  1. recover: an attempt a crash left half-done is finished or undone first (./recovery.ts decides);
 *     NetworkManager mode: a leftover checkpoint (a crashed attempt's, or anyone's) is rolled back, as
 *     upstream does, so the snapshot is the state that stays;
 *  2. validate the desired state (knmstate's checks; field paths and rules: ./input.ts);
 *  3. snapshot: `nmstatectl show`; render captures with `nmstatectl policy` against it;
 *  4. fail fast on link kinds this node's kernel cannot create (./kernel-support.ts): nmstatectl in
 *     NetworkManager mode would retry them for ~2 minutes before failing;
 *  5. select probes: ping and dns only if they pass now, within one short bounded check;
 *     api-server and node-readiness always (./probes.ts);
 *  6. journal the attempt (snapshot + rendered state), then apply (NM: `--no-commit --timeout T`,
 *     T from {@link checkpointTimeoutSeconds});
 *  7. run the selected probes;
 *  8. all pass: commit (NM) and record the snapshot for revertNodeState; otherwise restore: put the
 *     node back (NM: `nmstatectl rollback`; kernel: apply the snapshot), check the result equals the
 *     snapshot, and fail with the failure's type, or `RollbackFailed` with the difference.
 *
 * Failures are {@link NodeFailure}s inside, `ApplicationFailure`s at the activity boundary (types and
 * retryability: crd/errors.ts). Mutations of one node are serialised; reads (show, plan) run alongside.
 * The activity heartbeats throughout (./heartbeat.ts) and, when cancelled, puts the node back before
 * it rethrows the cancellation.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isNodeErrorType, KnmstateError } from '../../crd/errors.ts';
import { DEFAULT_PROBE_SETTINGS, mergeProbeSettings, type ProbeSettings, type ProbeSettingsInput } from '../../crd/probes.ts';
import type { KubeClient } from '../kube/client.ts';
import { NmstateCommandError } from '../nmstate/errors.ts';
import type { NmstateDriver } from '../nmstate/driver.ts';
import type { CapturedStates, NetworkState } from '../../crd/network-state.ts';
import type { CommandTiming } from '../nmstate/types.ts';
import { filterNetworkState } from '../nns/filter.ts';
import {
  applyNodeStateInputSchema,
  planNodeInputSchema,
  revertNodeStateInputSchema,
  showNodeStateInputSchema,
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
import { CaptureRenderFailed, CheckpointConflict, CheckpointExpired, InvalidDesiredState, NetworkManagerUnavailable, NmstateFailed, NodeFailure, ProbeFailed, RollbackFailed, toApplicationFailure, UnsupportedDesiredState, type NodeErrorType } from './errors.ts';
import { activityContext, Heartbeat } from './heartbeat.ts';
import { checkDesiredState, parseInput, rawIds, type AttemptIds } from './input.ts';
import type { InflightRecord, Journal } from './journal.ts';
import { KernelSupport, unsupportedLinkKinds } from './kernel-support.ts';
import { checkpointTimeoutSeconds, DEFAULT_CHECKPOINT_MARGIN_SECONDS } from './checkpoint-timeout.ts';

export { checkpointTimeoutSeconds, DEFAULT_CHECKPOINT_MARGIN_SECONDS } from './checkpoint-timeout.ts';
import { waitForOrphan } from './orphans.ts';
import { execDnsLookup, inProcessDnsLookup, probeFailureMessage, runProbes, selectedProbesTimeoutMs, selectProbes, type DnsLookup, type ProbeContext } from './probes.ts';
import { decideRecovery, undoBy, type RecoveryObservation } from './recovery.ts';
import { captureNodeViews, restoreViews, type NodeViews, type ViewDeps } from './restore.ts';
import { compareStates, diffSummary, fullScope, isEmptyState, lostLinkLocal, normalizeState, restoreState, scopeOf, withDefaultBridgeVlan } from './state.ts';

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

const msSince = (t: number): number => Math.round(performance.now() - t);
const sum = (ts: CommandTiming[]): number => Math.round(ts.reduce((a, t) => a + t.durationMs, 0));

/** What putting the node back did: the actions taken and the differences left (empty = clean). */
interface Undo {
  actions: string[];
  differences: string[];
}

/** One applyNodeState in progress: what its steps share. */
interface Attempt {
  input: ApplyNodeStateInput;
  ids: AttemptIds;
  hb: Heartbeat;
  signal: AbortSignal | undefined;
  t0: number;
  /** nmstatectl's commands (snapshot, apply, commit, restore). */
  timings: CommandTiming[];
  d: ApplyDurations;
  recovered?: RecoveryReport;
  alreadyApplied?: boolean;
  snapshot: NetworkState;
  /** The kernel's and NetworkManager's views with the snapshot (./restore.ts). */
  views?: NodeViews;
  rendered: NetworkState;
  capturedStates: CapturedStates;
  settings: ProbeSettings;
  probeCtx: ProbeContext;
  probes: ProbeReport[];
  checkpointTimeout?: number;
  rec: InflightRecord;
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

  /** Maps an nmstatectl failure to the activity failure type (anything else: `NmstateFailed`). */
  static failureType(err: unknown): NodeErrorType {
    return err instanceof NmstateCommandError ? err.type : NmstateFailed;
  }

  // ---------------------------------------------------------------------------------------------
  // The activities

  /** applyNodeState; see the module comment. */
  async apply(raw: ApplyNodeStateInput): Promise<ApplyNodeStateResult> {
    const ids = rawIds(raw);
    const ctx = activityContext();
    const hb = new Heartbeat(ctx, this.#deps.heartbeatIntervalMs ?? 1_000, { node: this.node, ...ids, phase: 'queued' });
    try {
      const input = parseInput(applyNodeStateInputSchema, raw, 'applyNodeState', this.node, ids);
      checkDesiredState(input.desiredState, 'desiredState', this.node, ids);
      return await this.#exclusive(() => this.#apply(input, hb, ctx?.cancellationSignal));
    } catch (err) {
      throw this.#toFailure(err, ids);
    } finally {
      hb.stop();
    }
  }

  /** revertNodeState: puts back the snapshot recorded before that policy generation's apply. */
  async revert(raw: RevertNodeStateInput): Promise<RevertNodeStateResult> {
    const ids = rawIds(raw);
    const hb = new Heartbeat(activityContext(), this.#deps.heartbeatIntervalMs ?? 1_000, { node: this.node, ...ids, phase: 'queued', op: 'revert' });
    try {
      const input = parseInput(revertNodeStateInputSchema, raw, 'revertNodeState', this.node, ids);
      return await this.#exclusive(() => this.#revert(input, hb));
    } catch (err) {
      throw this.#toFailure(err, ids);
    } finally {
      hb.stop();
    }
  }

  /** showNodeState: the current state (optionally filtered like NodeNetworkState). */
  async show(raw: ShowNodeStateInput = {}): Promise<ShowNodeStateResult> {
    const ids = { policy: '', generation: 0 };
    try {
      const input = parseInput(showNodeStateInputSchema, raw ?? {}, 'showNodeState', this.node, ids);
      const state = await this.driver.show();
      return { node: this.node, mode: this.driver.mode, state: input.filtered ? filterNetworkState(state) : state, time: new Date().toISOString() };
    } catch (err) {
      throw this.#toFailure(err, ids);
    }
  }

  /** planNode: renders captures and reports what an apply would change; touches nothing. */
  async plan(raw: PlanNodeInput): Promise<PlanNodeResult> {
    const ids = { policy: '', generation: 0 };
    try {
      const input = parseInput(planNodeInputSchema, raw, 'planNode', this.node, ids);
      checkDesiredState(input.desiredState, 'desiredState', this.node, ids);
      const current = await this.driver.show();
      const { state: rendered, capturedStates } = await this.#render(input, current, [], ids);
      checkDesiredState(rendered, 'rendered desiredState', this.node, ids);
      try {
        await this.driver.validate(rendered, current);
      } catch (err) {
        if (!(err instanceof NmstateCommandError)) throw err;
        throw this.#failure(err.type === NmstateFailed ? NmstateFailed : InvalidDesiredState, ids, `nmstate rejects the rendered state: ${err.parsed.message}`, { renderedState: rendered }, err);
      }
      return { node: this.node, mode: this.driver.mode, renderedState: rendered, capturedStates, diff: diffSummary(current, rendered), currentState: filterNetworkState(current) };
    } catch (err) {
      throw this.#toFailure(err, ids);
    }
  }

  /**
   * Finishes or undoes an attempt a crash left half-done (the journal's inflight record); see
   * ./recovery.ts. Throws a `RollbackFailed` failure when the node cannot be put back (the record
   * stays for the next try).
   */
  async recover(): Promise<RecoveryReport | undefined> {
    try {
      return await this.#exclusive(() => this.#recover());
    } catch (err) {
      throw this.#toFailure(err, { policy: '', generation: 0 });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // applyNodeState, step by step

  async #apply(input: ApplyNodeStateInput, hb: Heartbeat, signal: AbortSignal | undefined): Promise<ApplyNodeStateResult> {
    const a = { input, ids: { policy: input.policy, generation: input.generation }, hb, signal, t0: performance.now(), timings: [] as CommandTiming[] } as Attempt;
    a.d = { totalMs: 0, renderMs: 0, probeSelectMs: 0, applyMs: 0, probeMs: 0, commitMs: 0, restoreMs: 0, nmstatectlMs: 0, overheadMs: 0 };
    await this.#recoverFirst(a);
    await this.#snapshotAndRender(a);
    if (isEmptyState(a.rendered)) {
      this.#log?.info({ node: this.node, ...a.ids }, 'Ignoring empty desired state');
      return { ...this.#resultBase(a), outcome: 'empty', probes: [], durations: this.#durations(a), diff: diffSummary(a.snapshot, a.rendered), nmstateOutput: '' };
    }
    const diff = diffSummary(a.snapshot, a.rendered);
    await this.#checkLinkKinds(a);
    await this.#selectProbes(a);
    await this.#journalAttempt(a);
    const nmstateOutput = await this.#applyChange(a);
    await this.#probeAfter(a);
    await this.#commit(a);
    const durations = this.#durations(a);
    this.#log?.info({ node: this.node, ...a.ids, durations, changes: diff.changes }, 'desired state applied and committed');
    await this.#notify('apply');
    return { ...this.#resultBase(a), outcome: 'applied', probes: a.probes, durations, diff, nmstateOutput, ...(a.checkpointTimeout ? { checkpointTimeoutSeconds: a.checkpointTimeout } : {}) };
  }

  /** Step 1: a half-done earlier attempt first; NetworkManager mode: a leftover checkpoint rolled back. */
  async #recoverFirst(a: Attempt): Promise<void> {
    a.hb.phase('recover');
    const recovered = await this.#recover(a.timings);
    if (recovered) a.recovered = recovered;
    if (await this.journal.findApplied(a.ids.policy, a.ids.generation)) a.alreadyApplied = true;
    if (this.driver.mode === 'networkmanager' && (await this.driver.rollbackLeftover({ timings: a.timings }))) this.#log?.warn({ node: this.node }, 'rolled back a leftover checkpoint before applying');
  }

  /** Steps 2-3: the snapshot, and the state rendered against it (captures, default bridge VLAN), validated. */
  async #snapshotAndRender(a: Attempt): Promise<void> {
    a.hb.phase('render');
    const t = performance.now();
    a.snapshot = await this.driver.show({ timings: a.timings });
    const views = await this.#captureViews();
    if (views) a.views = views;
    const { state, capturedStates } = await this.#render(a.input, a.snapshot, a.timings, a.ids);
    checkDesiredState(state, 'rendered desiredState', this.node, a.ids);
    a.rendered = state;
    a.capturedStates = capturedStates;
    a.d.renderMs = msSince(t);
  }

  /** Step 4: fails (non-retryable, nothing touched) when the kernel cannot create a link kind the state needs. */
  async #checkLinkKinds(a: Attempt): Promise<void> {
    a.hb.phase('kernel-check');
    const problems = await unsupportedLinkKinds(this.#kernel, a.rendered, a.snapshot, this.node);
    if (!problems.length) return;
    throw this.#failure(UnsupportedDesiredState, a.ids, `unsupported on this node: ${problems.map((p) => p.message).join('; ')}; nothing was changed`, { problems, renderedState: a.rendered, capturedStates: a.capturedStates });
  }

  /** Step 5: which probes run after the change (the decisions, with reasons, go into the report). */
  async #selectProbes(a: Attempt): Promise<void> {
    a.hb.phase('select-probes');
    const t = performance.now();
    a.settings = mergeProbeSettings(this.#probeDefaults, a.input.probes);
    a.probeCtx = this.#probeContext();
    try {
      a.probes = await selectProbes(a.probeCtx, a.settings, a.signal, a.snapshot);
    } catch (err) {
      if (a.signal?.aborted) this.#cancelled(a);
      throw err;
    }
    a.d.probeSelectMs = msSince(t);
    if (a.signal?.aborted) this.#cancelled(a);
    if (this.driver.mode === 'networkmanager') a.checkpointTimeout = checkpointTimeoutSeconds(selectedProbesTimeoutMs(a.probes, a.settings), this.#deps.checkpointMarginSeconds);
  }

  /** Step 6a: the journal record that lets a crash be finished or undone. */
  async #journalAttempt(a: Attempt): Promise<void> {
    a.rec = {
      version: 1,
      id: randomUUID(),
      op: 'apply',
      ...a.ids,
      mode: this.driver.mode,
      phase: 'applying',
      target: a.snapshot,
      ...(a.views ? { views: a.views } : {}),
      desired: a.rendered,
      capturedStates: a.capturedStates,
      agentPid: process.pid,
      startedAt: new Date().toISOString(),
      updatedAt: '',
    };
    await this.journal.writeInflight(a.rec);
  }

  /** Step 6b: `nmstatectl apply` (NetworkManager: without commit); returns nmstatectl's account of the change. */
  async #applyChange(a: Attempt): Promise<string> {
    a.hb.phase('apply');
    const t = performance.now();
    let out: string;
    try {
      const r = await this.driver.apply(a.rendered, {
        timings: a.timings,
        ...(a.checkpointTimeout ? { checkpointTimeoutSeconds: a.checkpointTimeout } : {}),
        onSpawn: (pid) => {
          void this.journal.writeInflight({ ...a.rec, childPid: pid }).catch(() => undefined);
        },
      });
      out = r.diff;
    } catch (err) {
      a.d.applyMs = msSince(t);
      const msg = err instanceof NmstateCommandError ? err.parsed.message : (err as Error).message;
      if (err instanceof NmstateCommandError && err.type === CheckpointConflict) {
        // nmstate refused before touching anything: someone created a checkpoint after step 1.
        await this.journal.clearInflight();
        throw this.#failure(CheckpointConflict, a.ids, `${msg} (another NetworkManager checkpoint is pending on node ${this.node}; nothing was changed; the next attempt rolls it back first)`, { ...this.#attemptDetails(a), durations: this.#durations(a) }, err);
      }
      // NetworkManager has already rolled back to its own checkpoint when apply fails.
      return this.#restoreAndFail(a, NodeAgent.failureType(err), msg, err, { nmRollback: false });
    }
    a.d.applyMs = msSince(t);
    a.rec.phase = 'applied';
    await this.journal.writeInflight(a.rec);
    if (a.signal?.aborted) await this.#undoAndCancel(a);
    return out;
  }

  /** Step 7: the selected probes after the change; a failure restores the node. */
  async #probeAfter(a: Attempt): Promise<void> {
    a.hb.phase('probe');
    const t = performance.now();
    let failed: ProbeReport[];
    try {
      failed = await runProbes(a.probes, a.probeCtx, a.settings, 'after', a.signal);
    } catch (err) {
      a.d.probeMs = msSince(t);
      if (a.signal?.aborted) return this.#undoAndCancel(a);
      return this.#restoreAndFail(a, NmstateFailed, `probing failed: ${(err as Error).message}`, err, { nmRollback: true });
    }
    a.d.probeMs = msSince(t);
    if (failed.length) return this.#restoreAndFail(a, ProbeFailed, probeFailureMessage(failed), undefined, { nmRollback: true, probeFailure: true });
  }

  /** Step 8: commit (NetworkManager), record the snapshot for revertNodeState, clear the journal. */
  async #commit(a: Attempt): Promise<void> {
    a.hb.phase('commit');
    const t = performance.now();
    a.rec.phase = 'committing';
    if (this.driver.mode === 'networkmanager') await this.journal.writeInflight(a.rec);
    try {
      await this.driver.commit({ timings: a.timings });
    } catch (err) {
      a.d.commitMs = msSince(t);
      if (err instanceof NmstateCommandError && err.type === CheckpointExpired) {
        // NetworkManager's checkpoint timeout ran out before the commit and it rolled back by itself.
        return this.#restoreAndFail(a, CheckpointExpired, `commit found no checkpoint: NetworkManager rolled the change back at its ${a.checkpointTimeout ?? '?'} s checkpoint timeout before the probes and the commit were done (${err.parsed.message})`, err, { nmRollback: false });
      }
      // Upstream: a failed commit is returned as is; no rollback is possible at that point.
      throw this.#failure(NodeAgent.failureType(err), a.ids, `commit failed: ${(err as Error).message}`, { ...this.#attemptDetails(a), durations: this.#durations(a) }, err);
    }
    a.rec.phase = 'committed';
    await this.journal.writeInflight(a.rec);
    await this.journal.recordApplied({ ...a.ids, appliedAt: new Date().toISOString(), snapshot: a.snapshot, desired: a.rendered, ...(a.views ? { views: a.views } : {}) });
    await this.journal.clearInflight();
    a.d.commitMs = msSince(t);
  }

  /**
   * Step 8, the other way: puts the node back after nmstatectl touched it and throws the failure
   * (`type`, or `RollbackFailed` when differences remain). A probe failure probes once more after the
   * rollback so the node settles before the next attempt (upstream does too); its message already
   * says "rolling back" and gets no suffix.
   */
  async #restoreAndFail(a: Attempt, type: NodeErrorType, message: string, cause: unknown, opts: { nmRollback: boolean; probeFailure?: boolean }): Promise<never> {
    a.hb.phase('rollback');
    const t = performance.now();
    const undo = await this.#undo(a.rec, a.timings, opts.nmRollback);
    a.d.restoreMs = msSince(t);
    if (opts.probeFailure) await runProbes(a.probes, a.probeCtx, a.settings, 'afterRollback', a.signal).catch(() => undefined);
    const clean = undo.differences.length === 0;
    const text = !clean
      ? `${message}; putting node ${this.node} back left differences: ${undo.differences.join('; ')}`
      : opts.probeFailure
        ? message
        : undo.actions.length
          ? `${message} (node ${this.node} put back to its state before the apply)`
          : `${message} (node ${this.node} unchanged)`;
    throw this.#failure(clean ? type : RollbackFailed, a.ids, text, { ...this.#attemptDetails(a), rolledBack: true, restoreActions: undo.actions, remainingDifferences: undo.differences, durations: this.#durations(a) }, cause);
  }

  /** Cancelled after the change: put the node back, then rethrow the cancellation. */
  async #undoAndCancel(a: Attempt): Promise<never> {
    a.hb.phase('rollback');
    const undo = await this.#undo(a.rec, a.timings, true);
    this.#log?.warn({ node: this.node, ...a.ids, actions: undo.actions, remaining: undo.differences }, 'cancelled after the apply; node put back');
    return this.#cancelled(a);
  }

  #cancelled(a: Attempt): never {
    throw a.signal?.reason instanceof Error ? a.signal.reason : new Error('cancelled');
  }

  #resultBase(a: Attempt): Pick<ApplyNodeStateResult, 'node' | 'policy' | 'generation' | 'mode' | 'renderedState' | 'capturedStates' | 'recovered' | 'alreadyApplied'> {
    return { node: this.node, ...a.ids, mode: this.driver.mode, renderedState: a.rendered, capturedStates: a.capturedStates, ...(a.recovered ? { recovered: a.recovered } : {}), ...(a.alreadyApplied ? { alreadyApplied: true } : {}) };
  }

  /** What a failure after step 5 reports besides its message. */
  #attemptDetails(a: Attempt): Partial<ApplyFailureDetails> {
    return { renderedState: a.rendered, capturedStates: a.capturedStates, probes: a.probes, ...(a.recovered ? { recovered: a.recovered } : {}) };
  }

  #durations(a: Attempt): ApplyDurations {
    const d = a.d;
    d.totalMs = msSince(a.t0);
    d.nmstatectlMs = sum(a.timings);
    d.overheadMs = Math.max(0, d.totalMs - d.nmstatectlMs - d.probeSelectMs - d.probeMs);
    return { ...d };
  }

  // ---------------------------------------------------------------------------------------------
  // revertNodeState

  async #revert(input: RevertNodeStateInput, hb: Heartbeat): Promise<RevertNodeStateResult> {
    const t0 = performance.now();
    hb.phase('recover');
    const recovered = await this.#recover();
    const record = await this.journal.findApplied(input.policy, input.generation);
    const base = { node: this.node, ...input, ...(recovered ? { recovered } : {}) };
    if (!record) return { ...base, reverted: false, reason: `no record of ${input.policy} generation ${input.generation} on node ${this.node} (never applied here, or already reverted)`, actions: [], durationMs: msSince(t0) };
    hb.phase('restore');
    await this.journal.writeInflight({
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
    });
    const r = await this.restore(record.snapshot, record.desired, [], { views: record.views });
    if (r.differences.length) {
      throw this.#failure(RollbackFailed, input, `reverting ${input.policy} generation ${input.generation} on node ${this.node} left differences: ${r.differences.join('; ')}`, { rolledBack: true, restoreActions: r.actions, remainingDifferences: r.differences });
    }
    await this.journal.removeApplied(input.policy, input.generation);
    await this.journal.clearInflight();
    this.#log?.info({ node: this.node, ...input, actions: r.actions }, 'policy reverted');
    await this.#notify('revert');
    return { ...base, reverted: true, actions: r.actions, durationMs: msSince(t0) };
  }

  // ---------------------------------------------------------------------------------------------
  // Crash recovery

  async #recover(timings: CommandTiming[] = []): Promise<RecoveryReport | undefined> {
    const rec = await this.journal.readInflight();
    if (!rec) return undefined;
    this.#log?.warn({ node: this.node, op: rec.op, policy: rec.policy, generation: rec.generation, phase: rec.phase, agentPid: rec.agentPid }, 'recovering a half-done attempt');
    if (rec.childPid) await waitForOrphan(rec.childPid, this.driver.binary, { log: this.#log, node: this.node });
    const base = { op: rec.op, policy: rec.policy, generation: rec.generation, phase: rec.phase };
    const actions: string[] = [];
    const seen = await this.#observe(rec, timings, actions);
    const decision = decideRecovery(rec.op, rec.phase, this.driver.mode, seen);
    if (decision === 'finish') {
      await this.journal.recordApplied({ policy: rec.policy, generation: rec.generation, appliedAt: rec.updatedAt, snapshot: rec.target, desired: rec.desired, ...(rec.views ? { views: rec.views } : {}) });
      await this.journal.clearInflight();
      return { ...base, action: 'finished', actions: rec.phase === 'committed' ? [] : ['the checkpoint had been committed'], differences: [] };
    }
    if (decision === 'nothing') {
      // NetworkManager's own rollback has the same blind spots as a requested one (./restore.ts).
      if (rec.views) actions.push(...(await this.restore(rec.target, rec.desired, timings, { compareOnly: true, views: rec.views })).actions);
      await this.journal.clearInflight();
      this.#log?.info({ node: this.node, ...base }, 'half-done attempt had been rolled back by NetworkManager');
      await this.#notify('recovery');
      return { ...base, action: 'undone', actions, differences: [] };
    }
    await this.journal.writeInflight({ ...rec, phase: 'restoring', childPid: undefined });
    const r = await this.restore(rec.target, rec.desired, timings, { compareOnly: undoBy(rec.op, this.driver.mode) === 'check', views: rec.views });
    actions.push(...r.actions);
    const report: RecoveryReport = { ...base, action: 'undone', actions, differences: r.differences };
    if (r.differences.length) {
      throw this.#failure(
        RollbackFailed,
        rec,
        `could not put node ${this.node} back after an interrupted ${rec.op} of ${rec.policy} generation ${rec.generation}: ${r.differences.join('; ')} (journal ${this.journal.dir}/inflight.json kept)`,
        { rolledBack: true, restoreActions: actions, remainingDifferences: r.differences, recovered: report },
      );
    }
    if (rec.op === 'revert') await this.journal.removeApplied(rec.policy, rec.generation);
    await this.journal.clearInflight();
    this.#log?.info({ node: this.node, ...base, actions }, 'half-done attempt put back');
    await this.#notify('recovery');
    return report;
  }

  /**
   * What recovery needs to know about the node (./recovery.ts): NetworkManager mode, an apply that
   * had not committed: whether a leftover checkpoint was there (it is rolled back now) and, when none
   * was, whether the node equals the snapshot.
   */
  async #observe(rec: InflightRecord, timings: CommandTiming[], actions: string[]): Promise<RecoveryObservation> {
    const seen: RecoveryObservation = { checkpoint: 'none', node: 'as-snapshot' };
    if (this.driver.mode !== 'networkmanager' || rec.op !== 'apply' || rec.phase === 'committed') return seen;
    if (await this.driver.rollbackLeftover({ timings })) {
      actions.push('rolled back the leftover NetworkManager checkpoint');
      seen.checkpoint = 'rolled-back';
      return seen;
    }
    const before = normalizeState(rec.target);
    const now = normalizeState(await this.driver.show({ timings }));
    if (compareStates(before, now, scopeOf(rec.desired, before)).length) seen.node = 'changed';
    return seen;
  }

  // ---------------------------------------------------------------------------------------------
  // Putting the node back

  /**
   * Undoes the journalled attempt `rec` and checks the result: NetworkManager mode rolls back the
   * checkpoint (after a failed apply nmstate already has) and only compares; kernel mode restores
   * the snapshot itself.
   */
  async #undo(rec: InflightRecord, timings: CommandTiming[], nmRollback: boolean): Promise<Undo> {
    await this.journal.writeInflight({ ...rec, phase: 'restoring', childPid: undefined });
    const actions: string[] = [];
    if (this.driver.mode === 'networkmanager' && nmRollback) {
      try {
        await this.driver.rollback({ timings });
        actions.push('nmstatectl rollback');
      } catch (err) {
        if (!(err instanceof NmstateCommandError && err.type === CheckpointExpired)) actions.push(`nmstatectl rollback failed: ${(err as Error).message}`);
      }
    }
    const r = await this.restore(rec.target, rec.desired, timings, { compareOnly: this.driver.mode === 'networkmanager', views: rec.views });
    actions.push(...r.actions);
    if (!r.differences.length) await this.journal.clearInflight();
    await this.#notify('rollback');
    return { actions, differences: r.differences };
  }

  /**
   * Puts the node back to `target` within the scope of `desired` (the whole state without it):
   * applies the restore state (kernel: without nmstate's verification), puts back IPv6 link-local
   * addresses the kernel-mode apply dropped, and compares; a second round if something remains.
   * With `compareOnly` (after a NetworkManager checkpoint rollback, which is authoritative: knmstate
   * does not write NetworkManager profiles on top of it) it only compares, ignoring route metrics.
   * Returns the actions taken and the differences left (empty = clean).
   */
  async restore(target: NetworkState, desired: NetworkState | undefined, timings: CommandTiming[] = [], opts: { compareOnly?: boolean; views?: NodeViews | undefined } = {}): Promise<Undo> {
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

  /** The views to record with a snapshot; undefined (with a warning) when they cannot be read, e.g. without nmcli. */
  async #captureViews(): Promise<NodeViews | undefined> {
    try {
      return await captureNodeViews(this.#viewDeps());
    } catch (err) {
      this.#log?.warn({ node: this.node, err }, 'cannot record the kernel and NetworkManager views; a restore will be checked against the nmstate state only');
      return undefined;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** Renders captures against `current` (only when the state has captures or templates), then the default bridge VLAN. */
  async #render(input: { desiredState: NetworkState; capture?: Record<string, string> | undefined; capturedStates?: CapturedStates | undefined }, current: NetworkState, timings: CommandTiming[], ids: AttemptIds): Promise<{ state: NetworkState; capturedStates: CapturedStates }> {
    const hasCapture = !!input.capture && Object.keys(input.capture).length > 0;
    let out: { state: NetworkState; capturedStates: CapturedStates } = { state: input.desiredState, capturedStates: {} };
    if (hasCapture || JSON.stringify(input.desiredState).includes('{{')) {
      try {
        out = await this.driver.renderPolicy({ capture: input.capture ?? {}, desiredState: input.desiredState, current, ...(input.capturedStates ? { capturedStates: input.capturedStates } : {}) }, { timings });
      } catch (err) {
        if (!(err instanceof NmstateCommandError)) throw err;
        throw this.#failure(CaptureRenderFailed, ids, `failure generating desiredState and capturedStates: ${err.parsed.message}`, {}, err);
      }
    }
    const setting = this.#deps.defaultBridgeVlan ?? 'auto';
    const vlan = this.driver.mode === 'networkmanager' && (setting === 'auto' ? (await this.#kernel.bridgeVlanFiltering()).supported !== false : setting);
    return { state: vlan ? withDefaultBridgeVlan(out.state) : out.state, capturedStates: out.capturedStates };
  }

  #probeContext(): ProbeContext {
    return {
      node: this.node,
      exec: this.driver.exec,
      show: () => this.driver.show(),
      pingBin: this.#deps.pingBin ?? 'ping',
      dnsLookup: this.#dnsLookup,
      kube: this.#deps.kube,
    };
  }

  /** Runs node mutations one at a time. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #notify(reason: string): Promise<void> {
    if (!this.#deps.onStateChanged) return;
    try {
      await Promise.race([Promise.resolve(this.#deps.onStateChanged(reason)), delay(5_000, undefined, { ref: false })]);
    } catch (err) {
      this.#log?.warn({ node: this.node, err }, 'state-change notification failed');
    }
  }

  /** A node failure of `type` (the type is given once; the details carry it). */
  #failure(type: NodeErrorType, ids: AttemptIds, message: string, extra: Partial<ApplyFailureDetails> = {}, cause?: unknown): NodeFailure {
    return new NodeFailure({ node: this.node, policy: ids.policy, generation: ids.generation, rolledBack: false, ...extra, type, message }, cause !== undefined ? { cause } : undefined);
  }

  /**
   * The error an activity throws: a knmstate error becomes an `ApplicationFailure` of its type (one
   * of a node failure type that escaped a step, e.g. NetworkManager out of reach over D-Bus, gets the
   * node failure details first; a half-done attempt stays in the journal for the next one); anything
   * else (a cancellation) passes unchanged.
   */
  #toFailure(err: unknown, ids: AttemptIds): unknown {
    let e = err;
    if (e instanceof KnmstateError && !(e instanceof NodeFailure) && isNodeErrorType(e.type)) {
      const message = e instanceof NmstateCommandError && e.type === NetworkManagerUnavailable ? `NetworkManager on node ${this.node} cannot be reached over D-Bus (nmstatectl ${e.subcommand}: ${e.parsed.message})` : e.message;
      e = this.#failure(e.type, ids, message, {}, e);
    }
    if (!(e instanceof KnmstateError)) return e;
    if (e instanceof NodeFailure) {
      const d = e.details;
      this.#log?.warn({ node: this.node, policy: d.policy, generation: d.generation, type: d.type, rolledBack: d.rolledBack, remaining: d.remainingDifferences }, d.message);
    }
    return toApplicationFailure(e);
  }
}

/**
 * The node activities (`applyNodeState`, `revertNodeState`, `showNodeState`, `planNode`) of one
 * node; register them on that node's task queue (`nodeTaskQueue(node)`).
 */
export function createNodeActivities(deps: NodeAgentDeps): NodeActivities {
  return new NodeAgent(deps).activities();
}
