/**
 * The dry run of a policy (`kubectl nmstate plan -f policy.yaml`): everything a rollout would decide,
 * with nothing touched. It validates the desired state, resolves and orders the matching nodes, cuts
 * the waves with their limits, and asks each node's agent what an apply would change there
 * (`planNode`: captures rendered against the node's current state, the difference to it). A node
 * whose agent does not answer in time is reported, not waited for.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import type { ClusterActivities } from '../activities/cluster/contract.ts';
import type { NodeActivities, PlanNodeResult } from '../activities/node/index.ts';
import { validateDesiredState, type DesiredStateError } from '../crd/desired-state.ts';
import type { NncpSpec } from '../crd/nncp.ts';
import { planRollout, type WavePause } from '../crd/rollout.ts';
import { nodeTaskQueue } from './task-queues.ts';

/** Input of {@link planPolicy}. */
export interface PlanPolicyInput {
  policy: string;
  spec: NncpSpec;
  /** Ask each node's agent for its diff. @default true */
  nodeDiffs?: boolean;
  /** How long a node's agent may take to pick the question up. @default 10000 */
  nodeTimeoutMs?: number;
  /** Most nodes asked at once. @default 20 */
  concurrency?: number;
}

/** One node of the plan. */
export interface PlannedNode {
  name: string;
  wave: number;
  /** What an apply would do there (absent when not asked, or when the node did not answer). */
  plan?: PlanNodeResult;
  /** Why the node's plan is missing or would fail. */
  error?: { type: string; message: string };
}

/** The result of a dry run. */
export interface PolicyPlan {
  policy: string;
  /** Validation problems by field path; non-empty means the rollout would be refused. */
  problems: DesiredStateError[];
  /** A limit that would be refused (e.g. a maxUnavailable that does not parse). */
  limitError?: string;
  maxUnavailable: number;
  failureBudget: number;
  onFailure: string;
  waves: { number: number; nodes: string[]; limit: number; pause: WavePause }[];
  /** Matching nodes in rollout order. */
  nodes: PlannedNode[];
  /** Matching nodes that are not Ready (skipped by a rollout). */
  skipped: string[];
}

/** Plans a policy without touching anything. */
export async function planPolicy(input: PlanPolicyInput): Promise<PolicyPlan> {
  const { policy, spec } = input;
  const cluster = proxyActivities<ClusterActivities>({ startToCloseTimeout: '1m', retry: { maximumAttempts: 3 } });
  const problems = validateDesiredState(spec.desiredState ?? {});
  const { nodes } = await cluster.resolveNodes({ policy, generation: 0, spec: { ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}), ...(spec.rollout ? { rollout: spec.rollout } : {}) } });
  const ready = nodes.filter((n) => n.ready);
  let p: ReturnType<typeof planRollout>;
  let limitError: string | undefined;
  try {
    p = planRollout(spec, ready);
    limitError = p.maxUnavailableError;
  } catch (err) {
    limitError = err instanceof Error ? err.message : String(err);
    p = planRollout({ ...spec, rollout: {}, maxUnavailable: '50%' }, ready);
  }
  const out: PolicyPlan = {
    policy,
    problems,
    ...(limitError !== undefined ? { limitError } : {}),
    maxUnavailable: p.maxUnavailable,
    failureBudget: p.failureBudget,
    onFailure: p.onFailure,
    waves: p.waves.map((w) => ({ number: w.number, nodes: w.nodes.map((n) => n.name), limit: Math.min(p.maxUnavailable, w.nodes.length), pause: w.pause })),
    nodes: p.waves.flatMap((w) => w.nodes.map((n) => ({ name: n.name, wave: w.number }))),
    skipped: nodes.filter((n) => !n.ready).map((n) => n.name),
  };
  if (problems.length || input.nodeDiffs === false) return out;

  const ask = async (n: PlannedNode): Promise<void> => {
    const act = proxyActivities<NodeActivities>({
      taskQueue: nodeTaskQueue(n.name),
      scheduleToStartTimeout: input.nodeTimeoutMs ?? 10_000,
      startToCloseTimeout: '2m',
      retry: { maximumAttempts: 1 },
      summary: `plan ${policy} on ${n.name}`,
    });
    try {
      n.plan = await act.planNode({ desiredState: spec.desiredState ?? {}, ...(spec.capture ? { capture: spec.capture } : {}) });
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : err;
      if (cause instanceof TimeoutFailure) n.error = { type: 'Unreachable', message: `node agent of ${n.name} did not answer in time` };
      else if (cause instanceof ApplicationFailure) n.error = { type: cause.type ?? 'Error', message: cause.message };
      else n.error = { type: 'Error', message: cause instanceof Error ? cause.message : String(cause) };
    }
  };
  const limit = Math.max(1, input.concurrency ?? 20);
  for (let i = 0; i < out.nodes.length; i += limit) await Promise.all(out.nodes.slice(i, i + limit).map(ask));
  return out;
}
