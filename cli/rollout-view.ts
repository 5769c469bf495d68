/**
 * What `get`, `why` and the control commands show of one rollout, whichever source answered: the
 * rollout workflow's progress query (live), or, when no workflow answers (no worker, history gone),
 * the same view rebuilt from the NNCP status and its enactments. Plus the condition a CI job waits
 * for and the exit code it maps to. Pure.
 */
import type { NodeNetworkConfigurationEnactment } from '../crd/nnce.ts';
import type { NodeNetworkConfigurationPolicy, NodeRolloutPhase, RolloutPhase } from '../crd/nncp.ts';
import { policyConditionChanges, policyNodeCounts } from '../crd/policy-status.ts';
import type { NodeProgress, ProgressCounts, RolloutProgress, WaveProgress } from '../crd/progress.ts';
import { failureBudget, maxUnavailableLimit } from '../crd/quantities.ts';
import { planWaves } from '../crd/rollout.ts';
import { EXIT } from './exit-codes.ts';

/** Where the view came from. */
export type ViewSource = 'workflow' | 'status';

/** One rollout as the CLI shows it. */
export interface RolloutView {
  policy: string;
  source: ViewSource;
  /** The Temporal workflow id of the rollout. */
  workflowId: string;
  progress: RolloutProgress;
  /** The policy condition that is True (upstream's decision, see crd/policy-status.ts). */
  condition: { type: 'Available' | 'Degraded' | 'Progressing' | 'Ignored'; message: string };
  /** The rollout reached a final phase. */
  ended: boolean;
  /** Why the workflow did not answer, when the view comes from the status. */
  note?: string;
}

/** Phases after which a rollout does nothing more. */
export const ENDED_PHASES: readonly RolloutPhase[] = ['Completed', 'Halted', 'RolledBack', 'Ignored'];

/** Node phases that are final. */
export const FINAL_NODE_PHASES: readonly NodeRolloutPhase[] = ['Succeeded', 'Failed', 'Aborted', 'RolledBack', 'Skipped'];

/** Builds the view of a progress. */
export function rolloutView(progress: RolloutProgress, source: ViewSource, workflowId: string, note?: string): RolloutView {
  const changes = policyConditionChanges(policyNodeCounts(progress));
  const t = changes.find((c) => c.status === 'True');
  const type = t?.type ?? 'Progressing';
  return {
    policy: progress.policy,
    source,
    workflowId,
    progress,
    condition: { type, message: t?.message ?? '' },
    ended: ENDED_PHASES.includes(progress.phase),
    ...(note ? { note } : {}),
  };
}

/**
 * The exit code of a view: 1 when the policy is Degraded (a node failed or was aborted, the rollout
 * halted or rolled back), else 0 (Available, Ignored, or still going without a failure).
 */
export function exitCodeOf(view: RolloutView): 0 | 1 {
  return view.condition.type === 'Degraded' ? EXIT.failed : EXIT.ok;
}

const NNCE_PHASE: Record<string, NodeRolloutPhase> = { Available: 'Succeeded', Failing: 'Failed', Progressing: 'Applying', Pending: 'Pending', Aborted: 'Aborted' };

function countsOf(nodes: readonly NodeProgress[]): ProgressCounts {
  const c: ProgressCounts = { matched: nodes.length, pending: 0, inProgress: 0, succeeded: 0, failed: 0, aborted: 0, rolledBack: 0, skipped: 0 };
  for (const n of nodes) {
    if (n.phase === 'Pending') c.pending++;
    else if (n.phase === 'Succeeded') c.succeeded++;
    else if (n.phase === 'Failed') c.failed++;
    else if (n.phase === 'Aborted') c.aborted++;
    else if (n.phase === 'RolledBack') c.rolledBack++;
    else if (n.phase === 'Skipped') c.skipped++;
    else c.inProgress++;
  }
  return c;
}

/**
 * The progress rebuilt from a policy's status and enactments, for when no workflow answers: the
 * per-node entries of `status.rollout` (errors in full from the enactments' Failing condition), or,
 * without a rollout status (a policy written by upstream), one entry per enactment. Waves, limits
 * and gates come from the spec, as the engine computes them.
 */
export function progressFromStatus(nncp: NodeNetworkConfigurationPolicy, nnces: readonly NodeNetworkConfigurationEnactment[]): RolloutProgress {
  const policy = nncp.metadata.name ?? '';
  const spec = nncp.spec;
  const r = nncp.status?.rollout;
  const generation = nncp.status?.observedGeneration ?? nncp.metadata.generation ?? 0;
  const byNode = new Map<string, NodeNetworkConfigurationEnactment>();
  for (const e of nnces) {
    const node = e.metadata.labels?.['nmstate.io/node'] ?? e.metadata.name?.slice(0, -(policy.length + 1));
    if (node) byNode.set(node, e);
  }
  const trueCondition = (e: NodeNetworkConfigurationEnactment | undefined) => e?.status?.conditions?.find((c) => c.status === 'True');
  const nodes: NodeProgress[] = r?.nodes
    ? r.nodes.map((n) => {
        const failing = trueCondition(byNode.get(n.name));
        const lastError = failing?.type === 'Failing' && failing.message ? failing.message : n.lastError;
        return {
          name: n.name,
          wave: n.wave ?? 1,
          phase: n.phase,
          attempts: n.attempts ?? 0,
          ...(lastError ? { lastError } : {}),
          ...(n.startTime ? { startTime: n.startTime } : {}),
          ...(n.completionTime ? { completionTime: n.completionTime } : {}),
        };
      })
    : [...byNode.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, e]) => {
          const c = trueCondition(e);
          const phase = (c && NNCE_PHASE[c.type]) ?? 'Pending';
          const retries = e.status?.retryCount?.[String(generation)] ?? 0;
          return { name, wave: 1, phase, attempts: phase === 'Pending' ? 0 : retries + (phase === 'Failed' ? 0 : 1), ...(phase === 'Failed' && c?.message ? { lastError: c.message } : {}) };
        });
  const total = r?.counts?.matched ?? nodes.length;
  const { limit } = maxUnavailableLimit(spec.maxUnavailable, total);
  const planned = planWaves(nodes, spec.rollout?.waves);
  const waveNumbers = [...new Set(nodes.map((n) => n.wave))].sort((a, b) => a - b);
  const waves: WaveProgress[] = waveNumbers.map((number) => {
    const members = nodes.filter((n) => n.wave === number).map((n) => n.name);
    return { number, nodes: members, limit: Math.min(limit, members.length), pause: planned[number - 1]?.pause ?? { kind: 'none' } };
  });
  const counts: ProgressCounts = { ...countsOf(nodes), ...(r?.counts ?? {}) };
  const condition = nncp.status?.conditions?.find((c) => c.status === 'True');
  const phase: RolloutPhase =
    r?.phase ?? (condition?.type === 'Available' ? 'Completed' : condition?.type === 'Degraded' ? 'Halted' : condition?.type === 'Ignored' ? 'Ignored' : condition?.type === 'Progressing' ? 'Progressing' : 'Pending');
  return {
    policy,
    generation,
    phase,
    message: r?.message ?? condition?.message ?? '',
    paused: phase === 'Paused',
    currentWave: r?.currentWave ?? 0,
    totalWaves: r?.totalWaves ?? waves.length,
    ...(r?.gate ? { gate: { afterWave: r.gate.afterWave, kind: r.gate.until ? 'timer' : 'manual', ...(r.gate.until ? { until: r.gate.until } : {}) } } : {}),
    maxUnavailable: limit,
    failureBudget: failureBudget(spec.rollout?.maxFailures, spec.maxUnavailable, total),
    onFailure: spec.rollout?.onFailure ?? 'halt',
    counts,
    waves,
    nodes,
    ...(r?.abort ? { abort: { mode: r.abort.mode, reason: r.abort.reason ?? '', ...(r.abort.requestedBy ? { requestedBy: r.abort.requestedBy } : {}), time: r.abort.time ?? '' } } : {}),
    startTime: r?.startTime ?? nncp.metadata.creationTimestamp ?? '',
    ...(r?.completionTime ? { completionTime: r.completionTime } : {}),
  };
}
