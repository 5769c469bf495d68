/**
 * Test workflow of the cluster activity suite: calls one cluster activity on the suite's queue, as
 * the rollout workflow does, and returns its result or its failure (type, retryability, attempts
 * made) instead of failing, so tests can assert on both.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ClusterActivities, ReportStatusInput } from '../../activities/cluster/index.ts';

/** What the activity returned or failed with. */
export type ClusterCallOutcome = { ok: true; result: unknown; workflowId: string } | { ok: false; type: string | undefined; nonRetryable: boolean; message: string; retryState: string };

/** Calls reportStatus on `taskQueue` with at most `maximumAttempts` attempts. */
export async function callReportStatus(taskQueue: string, input: ReportStatusInput, maximumAttempts = 3): Promise<ClusterCallOutcome> {
  const acts = proxyActivities<ClusterActivities>({ taskQueue, startToCloseTimeout: '1m', retry: { maximumAttempts, initialInterval: '100ms', backoffCoefficient: 1 } });
  try {
    return { ok: true, result: await acts.reportStatus(input), workflowId: workflowInfo().workflowId };
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      return { ok: false, type: err.cause.type ?? undefined, nonRetryable: err.cause.nonRetryable ?? false, message: err.cause.message, retryState: String(err.retryState) };
    }
    throw err;
  }
}
