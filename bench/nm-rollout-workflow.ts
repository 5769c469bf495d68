/**
 * Benchmark-only rollout workflow (there is no rollout workflow yet): applies a per-node desired
 * state to `nodes` through each node's own task queue (`applyNodeState` of the node agent), at most
 * `window` nodes at a time, a new node starting as soon as one finishes (a sliding window, not
 * waves). No retries: a failure is reported, not hidden. Deterministic (Temporal workflow code).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { NodeActivities } from '../activities/node/index.ts';
import type { NetworkState } from '../activities/nmstate/types.ts';
import { nodeTaskQueue } from '../workflows/task-queues.ts';

/** One node's outcome. */
export interface BenchNodeOutcome {
  node: string;
  ok: boolean;
  /** The agent's own account of the apply (durations.totalMs), when it succeeded. */
  agentMs?: number;
  error?: string;
}

/** Applies `states[node]` on every node of `nodes`, `window` at a time; returns one outcome per node, in order. */
export async function benchRollout(nodes: string[], window: number, policy: string, generation: number, states: Record<string, NetworkState>): Promise<BenchNodeOutcome[]> {
  const out: BenchNodeOutcome[] = new Array<BenchNodeOutcome>(nodes.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < nodes.length) {
      const i = next++;
      const node = nodes[i]!;
      const acts = proxyActivities<NodeActivities>({
        taskQueue: nodeTaskQueue(node),
        startToCloseTimeout: '5m',
        heartbeatTimeout: '60s',
        retry: { maximumAttempts: 1 },
      });
      try {
        const r = await acts.applyNodeState({ policy, generation, desiredState: states[node] ?? {} });
        out[i] = { node, ok: true, agentMs: r.durations.totalMs };
      } catch (err) {
        out[i] = { node, ok: false, error: err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(window, nodes.length)) }, () => lane()));
  return out;
}
