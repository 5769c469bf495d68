/**
 * The rollout of one NodeNetworkConfigurationPolicy: one durable workflow per policy (id
 * `nncp/<policy>`), the single authority over which node applies it when.
 *
 *   plan:     resolve the matching nodes → validate → order → waves → limits (pure, crd/rollout.ts)
 *   for each wave:
 *     run its nodes in a sliding window of `maxUnavailable`: a node starts when a slot frees,
 *       unless paused, aborted, superseded or the failure budget is spent;
 *       each node: apply on its own task queue, attempt after attempt, until it succeeds or fails
 *     wait at the wave's gate (soak timer or manual promotion)
 *   stop early: not-started nodes are Aborted; with rollback, configured nodes are reverted
 *     (reverse order, same limit)
 *   a newer generation supersedes: in-flight nodes finish, then the rollout continues as new
 *   throughout: progress to the NNCP status and NNCEs (coalesced), the Temporal UI and the query
 *
 * Deterministic: no I/O, no clock but the workflow's; node and cluster work are activities.
 */
import {
  CancellationScope,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { ClusterActivities, ResolvedNode } from '../activities/cluster/contract.ts';
import type { NodeActivities } from '../activities/node/index.ts';
import { validateDesiredState } from '../crd/desired-state.ts';
import { FULL_REPORT_NEEDED } from '../crd/policy-status.ts';
import type { OnFailureMode } from '../crd/nncp.ts';
import type { RolloutProgress } from '../crd/progress.ts';
import { resolveProbes } from '../crd/probes.ts';
import { planRollout, startsNewRollout } from '../crd/rollout.ts';
import { abortUpdate, pauseSignal, policyChangedSignal, progressQuery, promoteSignal, resumeSignal, type AbortAccepted, type AbortRequest, type PolicyRevision } from './messages.ts';
import { describeNodeFailure } from './node-failure.ts';
import { resolveRolloutOptions, retryDelayMs, type RolloutOptions } from './rollout-options.ts';
import { progressLine, RolloutTracker } from './rollout-tracker.ts';
import { nodeTaskQueue } from './task-queues.ts';
import { RolloutUi } from './ui.ts';

/** Input of {@link policyRollout}. */
export interface PolicyRolloutInput {
  policy: string;
  revision: PolicyRevision;
  options?: RolloutOptions;
  /** Manual gates already approved (annotation `nmstate.io/rollout-approved-wave`). */
  approvedWave?: number;
  /** Set by a continue-as-new: the rollout so far. */
  carried?: { progress: RolloutProgress; signalPaused: boolean };
}

/** What a finished rollout returns. */
export interface RolloutOutcome {
  phase: RolloutProgress['phase'];
  message: string;
  counts: RolloutProgress['counts'];
}

/** Failure type of a policy the engine refuses before touching any node. */
export const INVALID_POLICY = 'InvalidPolicy';
/** Failure type of an abort request the rollout cannot honour. */
export const ABORT_REFUSED = 'AbortRefused';

const now = (): string => new Date().toISOString();

/** Rolls a policy out to its nodes. */
export async function policyRollout(input: PolicyRolloutInput): Promise<RolloutOutcome> {
  const { policy, revision } = input;
  const { generation, spec } = revision;
  const opts = resolveRolloutOptions(input.options);
  // Cluster-side activities run on the workflow's own queue (the controller's, CLUSTER_TASK_QUEUE in
  // production): whoever runs the rollout writes its status.
  // A first report creates every enactment (about a minute for 1000 nodes on a loaded machine); the
  // writer heartbeats after each one.
  const cluster = proxyActivities<ClusterActivities>({
    startToCloseTimeout: '5m',
    heartbeatTimeout: '30s',
    retry: { initialInterval: '500ms', maximumInterval: '10s' },
  });
  const ui = new RolloutUi();
  const probes = resolveProbes(spec.probes);

  // ---- control state, steered by messages --------------------------------------------------------
  let signalPaused = input.carried?.signalPaused ?? false;
  let specPaused = spec.rollout?.paused ?? false;
  let approvedWave = input.approvedWave ?? 0;
  let abort: (AbortRequest & { time: string }) | undefined;
  let superseding: PolicyRevision | undefined;
  /** The generation the status shows: advances on steering-only changes, while node applies keep `generation`. */
  let statusGeneration = input.carried?.progress.generation ?? generation;
  let currentSpec = spec;
  let tracker: RolloutTracker | undefined = input.carried ? RolloutTracker.restore(input.carried.progress, opts.maxAttempts) : undefined;

  const paused = (): boolean => signalPaused || specPaused;
  const budgetSpent = (): boolean => tracker?.budgetSpent ?? false;
  const historyFull = (): boolean => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= opts.maxHistoryEvents;
  /** Stop starting nodes (for good, or to continue as new). */
  const stopStarting = (): boolean => abort !== undefined || superseding !== undefined || budgetSpent() || historyFull();
  const syncPaused = (): void => {
    if (!tracker || tracker.finished) return;
    tracker.setPaused(paused());
    if (paused() && (tracker.phase === 'Progressing' || tracker.phase === 'Pending')) tracker.setPhase('Paused', 'Paused: nodes in flight finish, no new node starts');
    if (!paused() && tracker.phase === 'Paused') tracker.setPhase('Progressing', progressLine(tracker.progress));
  };

  setHandler(progressQuery, () => tracker?.progress ?? pendingProgress(policy, generation));
  setHandler(pauseSignal, () => {
    signalPaused = true;
    syncPaused();
  });
  setHandler(resumeSignal, () => {
    signalPaused = false;
    syncPaused();
  });
  setHandler(promoteSignal, ({ wave }) => {
    approvedWave = Math.max(approvedWave, wave);
  });
  setHandler(policyChangedSignal, (rev) => {
    if (rev.generation < statusGeneration || (superseding && rev.generation <= superseding.generation)) return;
    if (superseding || startsNewRollout(currentSpec, rev.spec)) {
      superseding = rev;
      return;
    }
    // Only steering fields changed (`spec.rollout.paused`): same rollout, newer generation in the status.
    statusGeneration = rev.generation;
    currentSpec = rev.spec;
    specPaused = rev.spec.rollout?.paused ?? false;
    tracker?.setGeneration(statusGeneration);
    syncPaused();
  });
  setHandler(
    abortUpdate,
    (req): AbortAccepted => {
      abort = { ...req, time: now() };
      tracker?.setAbort({ mode: req.mode, reason: req.reason ?? 'aborted by request', ...(req.requestedBy ? { requestedBy: req.requestedBy } : {}), time: abort.time });
      return abortPlan(req.mode);
    },
    {
      validator: (req: AbortRequest | undefined) => {
        if (req?.mode !== 'halt' && req?.mode !== 'rollback') throw ApplicationFailure.nonRetryable(`mode: must be "halt" or "rollback", got ${JSON.stringify(req?.mode)}`, ABORT_REFUSED);
        if (tracker?.finished) throw ApplicationFailure.nonRetryable(`the rollout of ${policy} generation ${generation} already ended (${tracker.phase})`, ABORT_REFUSED);
        if (abort?.mode === 'rollback' && req.mode === 'halt') throw ApplicationFailure.nonRetryable('a rollback is already under way; it cannot be turned into a halt', ABORT_REFUSED);
      },
    },
  );
  const abortPlan = (mode: OnFailureMode): AbortAccepted => {
    if (!tracker) return { mode, abortedNodes: [], inFlightNodes: [], revertNodes: [] };
    const inFlight = tracker.nodesIn('Applying', 'Verifying', 'Retrying');
    return {
      mode,
      abortedNodes: tracker.nodesIn('Pending'),
      inFlightNodes: inFlight,
      revertNodes: mode === 'rollback' ? [...tracker.nodesIn('Succeeded'), ...inFlight].reverse() : [],
    };
  };

  // ---- status out: coalesced, one report in flight at a time; after the first, changed nodes only --
  let reporting = true;
  let sendAllNodes = true;
  const report = async (t: RolloutTracker): Promise<void> => {
    const r = t.takeReport();
    ui.publish(r.progress);
    const base = { policy, ...(revision.uid ? { uid: revision.uid } : {}), generation: statusGeneration, enactments: r.enactments, events: r.events, minIntervalMs: opts.statusIntervalMs };
    const all = { ...base, progress: r.progress };
    try {
      let res = await cluster.reportStatus(sendAllNodes ? all : { ...base, progress: { ...r.progress, nodes: r.changedNodes }, nodesChangedOnly: true });
      if (!res.written && res.reason === FULL_REPORT_NEEDED) res = await cluster.reportStatus(all);
      sendAllNodes = !res.written;
    } catch (err) {
      if (isCancellation(err)) throw err;
      sendAllNodes = true;
      log.warn('status report failed', { policy, generation, error: String(err) });
    }
  };
  const reporter = async (): Promise<void> => {
    await condition(() => tracker !== undefined);
    while (reporting || tracker!.dirty) {
      await condition(() => tracker!.dirty || !reporting);
      if (tracker!.dirty) await report(tracker!);
    }
  };

  // ---- one node ---------------------------------------------------------------------------------
  const nodeActivities = (node: string, summary: string) =>
    proxyActivities<NodeActivities>({
      taskQueue: nodeTaskQueue(node),
      scheduleToStartTimeout: opts.nodeStartTimeoutMs,
      startToCloseTimeout: opts.applyTimeoutMs,
      heartbeatTimeout: opts.heartbeatTimeoutMs,
      retry: { maximumAttempts: 1 },
      summary,
    });

  const applyNode = async (t: RolloutTracker, node: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      t.attemptStarted(node, now());
      try {
        const act = nodeActivities(node, `apply ${policy}@${generation} on ${node}, attempt ${attempt}/${opts.maxAttempts}`);
        const capturedStates = t.capturedStates(node);
        const r = await act.applyNodeState({
          policy,
          generation,
          desiredState: spec.desiredState ?? {},
          ...(spec.capture ? { capture: spec.capture } : {}),
          ...(capturedStates ? { capturedStates } : {}),
          probes,
        });
        t.succeeded(node, now(), { renderedState: r.renderedState, capturedStates: r.capturedStates });
        return;
      } catch (err) {
        if (isCancellation(err)) throw err;
        const f = describeNodeFailure(err, node);
        const artifacts = { ...(f.renderedState ? { renderedState: f.renderedState } : {}), ...(f.capturedStates ? { capturedStates: f.capturedStates } : {}) };
        if (!f.retryable || attempt >= opts.maxAttempts || abort !== undefined) {
          t.failed(node, now(), f.message, f.type, artifacts);
          return;
        }
        t.attemptFailed(node, f.message, f.type, artifacts);
        await sleep(retryDelayMs(opts, attempt + 1));
      }
    }
  };

  const revertNode = async (t: RolloutTracker, node: string): Promise<void> => {
    t.revertStarted(node);
    try {
      await nodeActivities(node, `revert ${policy}@${generation} on ${node}`).revertNodeState({ policy, generation });
      t.reverted(node, now());
    } catch (err) {
      if (isCancellation(err)) throw err;
      const f = describeNodeFailure(err, node);
      t.revertFailed(node, now(), f.message, f.type);
    }
  };

  /** Runs `work` on `nodes` in order, at most `limit` at once, a node starting as soon as a slot frees. */
  const slidingWindow = async (nodes: readonly string[], limit: number, work: (node: string) => Promise<void>, stop: () => boolean): Promise<void> => {
    let active = 0;
    const running: Promise<void>[] = [];
    for (const node of nodes) {
      await condition(() => stop() || (!paused() && active < limit));
      if (stop()) break;
      active++;
      running.push(work(node).finally(() => active--));
    }
    await Promise.all(running);
  };

  // ---- the rollout ------------------------------------------------------------------------------
  const reporterDone = reporter().catch((err: unknown) => {
    if (!isCancellation(err)) throw err;
  });
  try {
    if (!tracker) {
      const planned = await plan();
      tracker = planned;
      if (tracker.finished) return await finish(tracker);
    }
    const t = tracker;
    syncPaused();
    if (!paused()) t.setPhase('Progressing', progressLine(t.progress));

    for (const wave of t.waves) {
      if (wave.number < t.progress.currentWave) continue;
      t.setWave(wave.number);
      if (!paused()) t.setPhase('Progressing', progressLine(t.progress));
      const pending = wave.nodes.filter((n) => t.node(n).phase === 'Pending');
      await slidingWindow(pending, wave.limit, (n) => applyNode(t, n), stopStarting);
      t.setMessage(progressLine(t.progress));
      if (stopStarting()) break;
      if (wave.number < t.waves.length && wave.pause.kind !== 'none') await waitAtGate(t, wave.number, wave.pause);
      if (stopStarting()) break;
    }

    if (superseding) return await supersede(t, superseding);
    if (abort === undefined && !budgetSpent() && historyFull() && t.nodesIn('Pending').length > 0) return await carryOn(t);
    return await finish(t);
  } catch (err) {
    if (!isCancellation(err) || !tracker) throw err;
    // The policy was deleted or the rollout cancelled: nodes in flight were cancelled (their agents put
    // them back); record where it stopped, then end as cancelled.
    const t = tracker;
    await CancellationScope.nonCancellable(async () => {
      t.abortPending(now());
      t.setPhase('Halted', `Rollout cancelled: ${progressLine(t.progress)}`, now());
      reporting = false;
      await report(t);
    });
    throw err;
  }

  // ---- steps ------------------------------------------------------------------------------------
  async function plan(): Promise<RolloutTracker> {
    const started = now();
    const base = { policy, generation, maxAttempts: opts.maxAttempts, startTime: started };
    const problems = validateDesiredState(spec.desiredState ?? {});
    if (problems.length) return refused(`invalid desiredState: ${problems.map((p) => p.message).join('; ')}`);
    const { nodes } = await cluster.resolveNodes({ policy, generation, spec: { ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}), ...(spec.rollout ? { rollout: spec.rollout } : {}) } });
    const ready = nodes.filter((n) => n.ready);
    let p: ReturnType<typeof planRollout<ResolvedNode>>;
    try {
      p = planRollout(spec, ready);
    } catch (err) {
      return refused(err instanceof Error ? err.message : String(err));
    }
    if (p.maxUnavailableError !== undefined) return refused(p.maxUnavailableError);
    const t = RolloutTracker.start({
      ...base,
      waves: p.waves,
      maxUnavailable: p.maxUnavailable,
      failureBudget: p.failureBudget,
      onFailure: p.onFailure,
      skipped: nodes.filter((n) => !n.ready).map((n) => n.name),
      alreadyApplied: ready.filter((n) => n.enactment?.generation === generation && n.enactment.condition === 'Available').map((n) => n.name),
    });
    if (nodes.length === 0) t.setPhase('Ignored', 'Policy does not match any node', now());
    return t;

    function refused(message: string): RolloutTracker {
      const r = RolloutTracker.start({ ...base, waves: [], maxUnavailable: 1, failureBudget: 0, onFailure: 'halt' });
      r.setAbort({ mode: 'halt', reason: message, time: started });
      r.setPhase('Halted', `${INVALID_POLICY}: ${message}; no node was touched`, now());
      return r;
    }
  }

  async function waitAtGate(t: RolloutTracker, afterWave: number, pause: RolloutProgress['waves'][number]['pause']): Promise<void> {
    if (pause.kind === 'timer') {
      t.setGate({ afterWave, kind: 'timer', until: new Date(Date.parse(now()) + pause.ms).toISOString() });
      t.setPhase('Waiting', `Wave ${afterWave} done; soaking ${Math.round(pause.ms / 1000)}s before wave ${afterWave + 1}`);
      await condition(() => abort !== undefined || superseding !== undefined || approvedWave >= afterWave, pause.ms);
    } else if (pause.kind === 'manual') {
      t.setGate({ afterWave, kind: 'manual' });
      t.setPhase('Waiting', `Wave ${afterWave} done; waiting for promotion (kubectl nmstate promote ${policy})`);
      await condition(() => abort !== undefined || superseding !== undefined || approvedWave >= afterWave);
    }
    t.setGate(undefined);
    if (!stopStarting()) t.setPhase(paused() ? 'Paused' : 'Progressing', progressLine(t.progress));
  }

  async function finish(t: RolloutTracker): Promise<RolloutOutcome> {
    if (!t.finished) {
      const stopped = abort !== undefined || budgetSpent();
      if (stopped) {
        const mode: OnFailureMode = abort?.mode ?? t.progress.onFailure;
        if (!abort) t.setAbort({ mode, reason: `failure budget spent: ${t.counts.failed} failed, ${t.progress.failureBudget} tolerated`, time: now() });
        t.abortPending(now());
        if (mode === 'rollback') {
          t.setPhase('RollingBack', `Rolling back: ${progressLine(t.progress)}`);
          const configured = t.nodesIn('Succeeded').reverse();
          await slidingWindow(configured, t.progress.maxUnavailable, (n) => revertNode(t, n), () => false);
          t.setPhase('RolledBack', `Rolled back: ${progressLine(t.progress)}`, now());
        } else {
          t.setPhase('Halted', `Halted: ${progressLine(t.progress)}`, now());
        }
      } else {
        t.setPhase('Completed', progressLine(t.progress), now());
      }
    }
    reporting = false;
    await reporterDone;
    const p = t.progress;
    if (superseding) return supersede(t, superseding);
    return { phase: p.phase, message: p.message, counts: p.counts };
  }

  async function supersede(t: RolloutTracker, next: PolicyRevision): Promise<never> {
    t.setMessage(`Superseded by generation ${next.generation}: ${progressLine(t.progress)}`);
    reporting = false;
    await reporterDone;
    await condition(allHandlersFinished);
    return continueAsNew<typeof policyRollout>({ policy, revision: next, ...(input.options ? { options: input.options } : {}) });
  }

  async function carryOn(t: RolloutTracker): Promise<never> {
    reporting = false;
    await reporterDone;
    await condition(allHandlersFinished);
    return continueAsNew<typeof policyRollout>({
      policy,
      // Same apply generation; the spec may carry newer steering fields (spec.rollout.paused).
      revision: { ...revision, spec: currentSpec },
      approvedWave,
      carried: { progress: t.progress, signalPaused },
      ...(input.options ? { options: input.options } : {}),
    });
  }
}

/** The progress before the plan exists. */
function pendingProgress(policy: string, generation: number): RolloutProgress {
  return {
    policy,
    generation,
    phase: 'Pending',
    message: 'Resolving nodes',
    paused: false,
    currentWave: 0,
    totalWaves: 0,
    maxUnavailable: 0,
    failureBudget: 0,
    onFailure: 'halt',
    counts: { matched: 0, pending: 0, inProgress: 0, succeeded: 0, failed: 0, aborted: 0, rolledBack: 0, skipped: 0 },
    waves: [],
    nodes: [],
    startTime: new Date().toISOString(),
  };
}
