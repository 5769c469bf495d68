/**
 * The NNCP status computed from a rollout's progress: upstream's four conditions with their reasons
 * and message formats (`pkg/policyconditions/conditions.go`), knmstate's `observedGeneration` and
 * `status.rollout`. Pure: the caller passes `now`.
 */
import { setConditions, type ConditionChange } from './conditions.ts';
import { fitStatus, truncateError, MAX_STATUS_NODES, ROLLOUT_MESSAGE_MAX_LENGTH, type NncpCondition, type NncpConditionReason, type NncpConditionType, type NncpStatus, type RolloutStatus } from './nncp.ts';
import type { RolloutProgress } from './progress.ts';

/** One NNCP condition as a setter decides it. */
export type NncpConditionChange = ConditionChange<NncpConditionType, NncpConditionReason>;

const change = (type: NncpConditionType, status: NncpConditionChange['status'], reason: NncpConditionReason, message = ''): NncpConditionChange => ({ type, status, reason, message });

/** Upstream `SetPolicyProgressing`: Progressing True (message), Available and Degraded Unknown. */
export function setPolicyProgressing(message: string): NncpConditionChange[] {
  const r = 'ConfigurationProgressing';
  return [change('Degraded', 'Unknown', r), change('Available', 'Unknown', r), change('Progressing', 'True', r, message), change('Ignored', 'False', r)];
}

/** Upstream `SetPolicySuccess`: Available True (message). */
export function setPolicySuccess(message: string): NncpConditionChange[] {
  const r = 'SuccessfullyConfigured';
  return [change('Degraded', 'False', r), change('Available', 'True', r, message), change('Progressing', 'False', r), change('Ignored', 'False', r)];
}

/** Upstream `SetPolicyNotMatching`: Ignored True (message). */
export function setPolicyNotMatching(message: string): NncpConditionChange[] {
  const r = 'NoMatchingNode';
  return [change('Degraded', 'False', r), change('Available', 'False', r), change('Progressing', 'False', r), change('Ignored', 'True', r, message)];
}

/**
 * Upstream `SetPolicyFailedToConfigure`: Degraded True (message). Progressing keeps upstream's quirk:
 * False with reason ConfigurationProgressing.
 */
export function setPolicyFailedToConfigure(message: string): NncpConditionChange[] {
  const r = 'FailedToConfigure';
  return [change('Degraded', 'True', r, message), change('Available', 'False', r), change('Progressing', 'False', 'ConfigurationProgressing'), change('Ignored', 'False', r)];
}

/** Upstream `SetPolicyStatusUnknown`: all four Unknown, empty reason. */
export function setPolicyStatusUnknown(): NncpConditionChange[] {
  return (['Available', 'Degraded', 'Progressing', 'Ignored'] as const).map((t) => change(t, 'Unknown', ''));
}

/** The node counts upstream's policy conditions are computed from. */
export interface PolicyNodeCounts {
  /** Nodes that match the policy. */
  matching: number;
  /** Matching nodes left out because they are not Ready (upstream: `NotReady`). */
  notReady: number;
  /** Nodes configured (upstream: enactments Available). */
  available: number;
  /** Nodes that failed (upstream: enactments Failing). */
  failed: number;
  /** Nodes never started because the rollout stopped (upstream: enactments Aborted). */
  aborted: number;
  /** Nodes waiting for their turn (upstream: enactments Pending). */
  pending: number;
  /** knmstate: configured nodes reverted by a rollback. */
  rolledBack: number;
  /** knmstate: the rollout stopped early (halt or rollback, by the failure budget or a user). */
  stopped: boolean;
  /**
   * knmstate: why a rollout stopped before it resolved any node (the rollout's message, e.g.
   * `InvalidPolicy: invalid desiredState: <path>: <rule>; no node was touched`). Such a policy is
   * Degraded with this message, not Ignored: its nodes were never looked up.
   */
  refused?: string;
}

/**
 * The counts of a progress as upstream would count enactments. knmstate's `skipped` (not Ready when
 * its turn came) is upstream's NotReady; a rollout is stopped once `progress.abort` is set or its
 * phase is Halted, RollingBack or RolledBack.
 */
export function policyNodeCounts(progress: RolloutProgress): PolicyNodeCounts {
  const c = progress.counts;
  return {
    matching: c.matched,
    notReady: c.skipped,
    available: c.succeeded,
    failed: c.failed,
    aborted: c.aborted,
    pending: c.pending,
    rolledBack: c.rolledBack,
    stopped: progress.abort !== undefined || progress.phase === 'Halted' || progress.phase === 'RollingBack' || progress.phase === 'RolledBack',
    ...(progress.phase === 'Halted' && progress.abort !== undefined && progress.totalWaves === 0 && c.matched === 0 ? { refused: progress.message ?? progress.abort.reason ?? 'Rollout refused' } : {}),
  };
}

/**
 * The policy conditions for node counts, in upstream's decision order, with its messages byte for
 * byte:
 * 1. no matching node → Ignored, `Policy does not match any node`;
 * 2. a failed or aborted node → Degraded, `%d/%d nodes failed to configure` (of the matching
 *    nodes), plus `, %d nodes aborted configuration`;
 * 3. fewer nodes finished (configured, failed, aborted) than Ready nodes → Progressing,
 *    `Policy is progressing %d/%d nodes finished` (of the Ready nodes);
 * 4. a node still pending → Progressing, `Policy is progressing %d/%d nodes finished, %d pending`;
 * 5. otherwise → Available, `%d/%d nodes successfully configured` (of the matching nodes).
 * Progressing and Available messages end with `, %d nodes ignored due to NotReady state` when some
 * matching nodes are not Ready (upstream: so a policy whose only nodes are NotReady reads Available).
 *
 * knmstate's additions, so that `kubectl wait --for=condition=Available` never returns for a rollout
 * that did not configure its nodes: a rollout that stopped early (halted or rolled back, by the
 * failure budget or by a user's abort) is Degraded even with no failed or aborted node, and rolled
 * back nodes are Degraded too, with `, %d nodes rolled back` after upstream's message; and a rollout
 * refused before it looked up any node (an invalid desiredState, an impossible maxUnavailable) is
 * Degraded with the refusal, before rule 1 would call it Ignored.
 */
export function policyConditionChanges(n: PolicyNodeCounts): NncpConditionChange[] {
  if (n.refused !== undefined) return setPolicyFailedToConfigure(n.refused);
  if (n.matching === 0) return setPolicyNotMatching('Policy does not match any node');
  const ready = n.matching - n.notReady;
  const finished = n.available + n.failed + n.aborted + n.rolledBack;
  const notReady = n.notReady > 0 ? `, ${n.notReady} nodes ignored due to NotReady state` : '';
  if (n.failed > 0 || n.aborted > 0 || n.rolledBack > 0 || n.stopped) {
    const aborted = n.aborted > 0 ? `, ${n.aborted} nodes aborted configuration` : '';
    const rolledBack = n.rolledBack > 0 ? `, ${n.rolledBack} nodes rolled back` : '';
    return setPolicyFailedToConfigure(`${n.failed}/${n.matching} nodes failed to configure${aborted}${rolledBack}`);
  }
  if (finished < ready) return setPolicyProgressing(`Policy is progressing ${finished}/${ready} nodes finished${notReady}`);
  if (n.pending > 0) return setPolicyProgressing(`Policy is progressing ${finished}/${ready} nodes finished, ${n.pending} pending${notReady}`);
  return setPolicySuccess(`${n.available}/${n.matching} nodes successfully configured${notReady}`);
}

/** `status.rollout` for a progress: counts, gate, abort, node entries with errors truncated. */
export function rolloutStatus(progress: RolloutProgress, workflowId?: string): RolloutStatus {
  const p = progress;
  return {
    phase: p.phase,
    ...(workflowId ? { workflowId } : {}),
    currentWave: p.currentWave,
    totalWaves: p.totalWaves,
    ...(p.gate && p.gate.afterWave >= 1 ? { gate: { afterWave: p.gate.afterWave, ...(p.gate.until ? { until: p.gate.until } : {}) } } : {}),
    counts: { ...p.counts },
    ...(p.abort
      ? {
          abort: {
            mode: p.abort.mode,
            ...(p.abort.reason ? { reason: truncateError(p.abort.reason, 1024) } : {}),
            ...(p.abort.requestedBy ? { requestedBy: p.abort.requestedBy.slice(0, 253) } : {}),
            time: p.abort.time,
          },
        }
      : {}),
    ...(p.message ? { message: truncateError(p.message, ROLLOUT_MESSAGE_MAX_LENGTH) } : {}),
    startTime: p.startTime,
    ...(p.completionTime ? { completionTime: p.completionTime } : {}),
    nodes: p.nodes.slice(0, MAX_STATUS_NODES).map((n) => ({
      name: n.name,
      ...(n.wave >= 1 ? { wave: n.wave } : {}),
      phase: n.phase,
      attempts: n.attempts,
      ...(n.lastError ? { lastError: truncateError(n.lastError) } : {}),
      ...(n.startTime ? { startTime: n.startTime } : {}),
      ...(n.completionTime ? { completionTime: n.completionTime } : {}),
    })),
  };
}

/** Options of {@link policyStatus}. */
export interface PolicyStatusOptions {
  /** Kubernetes time of the write (see `kubeTime`). */
  now: string;
  /** The Temporal workflow running the rollout, shown in `status.rollout.workflowId`. */
  workflowId?: string;
  /**
   * `progress.nodes` holds only the nodes that changed since the last report; the others keep
   * their entries in the current status. Only when {@link canMergeNodes} says the current status
   * is of the same rollout.
   */
  nodesChangedOnly?: boolean;
}

/** Why a report of changed nodes only was not written: the status does not show its rollout yet. */
export const FULL_REPORT_NEEDED = 'FullReportNeeded';

/**
 * Whether a report that carries only its changed nodes can be merged into `current`: the status
 * shows the same rollout (same start time and generation) with its node entries. A large rollout
 * reports thousands of nodes; sending only the changed ones keeps each report (and the workflow's
 * history, which records it) small.
 */
export function canMergeNodes(current: NncpStatus | undefined, progress: Pick<RolloutProgress, 'startTime' | 'generation'>): boolean {
  return current?.rollout?.nodes !== undefined && current.rollout.startTime === progress.startTime && current.observedGeneration === progress.generation;
}

/** `current` entries with `changed` put in place by name; names not there yet are appended. */
export function mergeNodeEntries<T extends { name: string }>(current: readonly T[], changed: readonly T[]): T[] {
  const byName = new Map(changed.map((n) => [n.name, n]));
  const merged = current.map((n) => byName.get(n.name) ?? n);
  const known = new Set(current.map((n) => n.name));
  return [...merged, ...changed.filter((n) => !known.has(n.name))].slice(0, MAX_STATUS_NODES);
}

/**
 * The whole NNCP status for a progress, starting from the current status (whose conditions keep
 * their transition times under the update rule): conditions, `observedGeneration`,
 * `status.rollout`, and `unavailableNodeCountMap: {}` (knmstate keeps no slot counter). Legacy
 * fields are not written. The result fits the status size budget (`fitStatus`).
 */
export function policyStatus(current: NncpStatus | undefined, progress: RolloutProgress, opts: PolicyStatusOptions): NncpStatus {
  const conditions: NncpCondition[] = setConditions(current?.conditions ?? [], policyConditionChanges(policyNodeCounts(progress)), opts.now);
  return fitStatus({
    conditions,
    unavailableNodeCountMap: {},
    observedGeneration: progress.generation,
    rollout: opts.nodesChangedOnly ? mergedRollout(current, progress, opts.workflowId) : rolloutStatus(progress, opts.workflowId),
  });
}

function mergedRollout(current: NncpStatus | undefined, progress: RolloutProgress, workflowId: string | undefined): RolloutStatus {
  if (!canMergeNodes(current, progress)) throw new Error(`policyStatus: a report of changed nodes only cannot be merged into a status of another rollout (started ${current?.rollout?.startTime ?? 'never'}, generation ${current?.observedGeneration ?? '-'})`);
  const r = rolloutStatus(progress, workflowId);
  return { ...r, nodes: mergeNodeEntries(current?.rollout?.nodes ?? [], r.nodes ?? []) };
}
