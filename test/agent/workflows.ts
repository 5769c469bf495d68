/**
 * Test workflow of the node-agent suites: calls one node activity on the node's own task queue, as
 * the rollout workflow will, and returns its result or its failure (type, retryability, details)
 * instead of failing, so tests can assert on both.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { NodeActivities } from '../../activities/node/index.ts';
import { nodeTaskQueue } from '../../workflows/task-queues.ts';

/** One activity call. */
export type NodeCall = { [K in keyof NodeActivities]: { activity: K; input: Parameters<NodeActivities[K]>[0] } }[keyof NodeActivities];

/** What the activity returned or failed with. */
export type NodeCallOutcome = { ok: true; result: unknown } | { ok: false; type: string | undefined; nonRetryable: boolean; message: string; details: unknown };

/** Calls `call.activity` on `node`'s queue with at most `maximumAttempts` attempts. */
export async function callNode(node: string, call: NodeCall, opts: { maximumAttempts?: number; heartbeatTimeout?: string } = {}): Promise<NodeCallOutcome> {
  const acts = proxyActivities<NodeActivities>({
    taskQueue: nodeTaskQueue(node),
    startToCloseTimeout: '3m',
    heartbeatTimeout: opts.heartbeatTimeout ?? '30s',
    retry: { maximumAttempts: opts.maximumAttempts ?? 1, initialInterval: '200ms', backoffCoefficient: 1 },
  });
  try {
    const fn = acts[call.activity] as (input: unknown) => Promise<unknown>;
    return { ok: true, result: await fn(call.input) };
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      return { ok: false, type: err.cause.type ?? undefined, nonRetryable: err.cause.nonRetryable ?? false, message: err.cause.message, details: err.cause.details?.[0] };
    }
    throw err;
  }
}
