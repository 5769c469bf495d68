/**
 * What a failed node activity means for the rollout: its type, its message, whether another attempt
 * can help, and what the agent reported (rendered state, captures). Pure: it reads the failure chain
 * Temporal hands the workflow.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import type { ApplyFailureDetails } from '../activities/node/index.ts';
import type { CapturedStates, NetworkState } from '../crd/network-state.ts';

/** Failure type of a node whose agent never picked the work up (no live worker on its queue). */
export const UNREACHABLE = 'Unreachable';
/** Failure type of a node whose agent stopped heartbeating or overran the apply timeout. */
export const AGENT_LOST = 'AgentLost';

/** A node failure as the rollout sees it. */
export interface NodeFailure {
  type: string;
  message: string;
  retryable: boolean;
  renderedState?: NetworkState;
  capturedStates?: CapturedStates;
}

/** Reads an error thrown by a node activity call. */
export function describeNodeFailure(err: unknown, node: string): NodeFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const d = cause.details?.[0] as Partial<ApplyFailureDetails> | undefined;
    const f: NodeFailure = { type: cause.type ?? 'Error', message: d?.message ?? cause.message, retryable: !cause.nonRetryable };
    if (d?.renderedState) f.renderedState = d.renderedState;
    if (d?.capturedStates) f.capturedStates = d.capturedStates;
    return f;
  }
  if (cause instanceof TimeoutFailure) {
    if (cause.timeoutType === 'SCHEDULE_TO_START')
      return { type: UNREACHABLE, message: `node agent of ${node} is unreachable: nothing picked the work up from its task queue in time`, retryable: false };
    return { type: AGENT_LOST, message: `node agent of ${node} was lost during the apply (${(cause.timeoutType ?? 'unknown').toLowerCase().replaceAll('_', '-')} timeout)`, retryable: true };
  }
  return { type: 'Error', message: cause instanceof Error ? cause.message : String(cause), retryable: true };
}
