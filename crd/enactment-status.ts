/**
 * The NNCE status computed from a node's rollout phase: upstream's five conditions with their
 * reasons and messages (`pkg/enactmentstatus/conditions/conditions.go`), the rendered state, the
 * capture cache, `policyGeneration` and `retryCount`; and upstream's `ReconcileFailed` event
 * messages. Pure: the caller passes `now`.
 */
import { setConditions, type ConditionChange } from './conditions.ts';
import { enactmentName, type NnceCondition, type NnceConditionReason, type NnceConditionType, type NnceStatus } from './nnce.ts';
import { truncateError, type NodeRolloutPhase } from './nncp.ts';

/** One NNCE condition as a setter decides it. */
export type NnceConditionChange = ConditionChange<NnceConditionType, NnceConditionReason>;

const change = (type: NnceConditionType, status: NnceConditionChange['status'], reason: NnceConditionReason, message = ''): NnceConditionChange => ({ type, status, reason, message });

/** Upstream `SetProgressing`: Progressing True (message), Available and Failing Unknown. */
export function setEnactmentProgressing(message: string): NnceConditionChange[] {
  const r = 'ConfigurationProgressing';
  return [change('Progressing', 'True', r, message), change('Failing', 'Unknown', r), change('Available', 'Unknown', r), change('Pending', 'False', r), change('Aborted', 'False', r)];
}

/** Upstream `SetSuccess`: Available True (message). */
export function setEnactmentSuccess(message: string): NnceConditionChange[] {
  const r = 'SuccessfullyConfigured';
  return [change('Available', 'True', r, message), change('Failing', 'False', r), change('Progressing', 'False', r), change('Pending', 'False', r), change('Aborted', 'False', r)];
}

/** Upstream `SetFailedToConfigure`: Failing True (message); Aborted keeps upstream's quirk (reason SuccessfullyConfigured). */
export function setEnactmentFailedToConfigure(message: string): NnceConditionChange[] {
  const r = 'FailedToConfigure';
  return [change('Failing', 'True', r, message), change('Available', 'False', r), change('Progressing', 'False', r), change('Pending', 'False', r), change('Aborted', 'False', 'SuccessfullyConfigured')];
}

/** Upstream `SetRetryAfterFailed`: Failing **and** Progressing True (message on both), reason Retrying. */
export function setEnactmentRetrying(message: string): NnceConditionChange[] {
  const r = 'Retrying';
  return [change('Failing', 'True', r, message), change('Progressing', 'True', r, message), change('Available', 'False', r), change('Pending', 'False', r), change('Aborted', 'False', 'SuccessfullyConfigured')];
}

/** Upstream `SetPending`: Pending True; the message is on Pending and (False) Progressing. */
export function setEnactmentPending(message: string): NnceConditionChange[] {
  const r = 'MaxUnavailableLimitReached';
  return [change('Pending', 'True', r, message), change('Aborted', 'False', r), change('Progressing', 'False', r, message), change('Failing', 'False', r), change('Available', 'False', r)];
}

/** Upstream `SetConfigurationAborted`: Aborted True (message). */
export function setEnactmentAborted(message: string): NnceConditionChange[] {
  const r = 'ConfigurationAborted';
  return [change('Failing', 'False', r), change('Available', 'False', r), change('Progressing', 'False', r), change('Pending', 'False', r), change('Aborted', 'True', r, message)];
}

/** Upstream `NewEnactment`: all five Unknown with an empty reason; `message` (knmstate) goes on Pending. */
export function setEnactmentUnknown(message = ''): NnceConditionChange[] {
  return (['Available', 'Failing', 'Progressing', 'Pending', 'Aborted'] as const).map((t) => change(t, 'Unknown', '', t === 'Pending' ? message : ''));
}

/**
 * Longest failure message kept in an enactment condition (upstream keeps nmstate's whole output;
 * knmstate cuts pathological outputs so one node cannot push its enactment near the request limit).
 */
export const ENACTMENT_MESSAGE_MAX_LENGTH = 64 * 1024;

/** Upstream's Retrying message: `k` is the number of the next attempt (2…N). */
export function retryingMessage(node: string, nextAttempt: number, maxAttempts: number): string {
  return `failed to reconcile NodeNetworkConfigurationPolicy on node ${node}. Retrying ${nextAttempt}/${maxAttempts}`;
}

/** Upstream's `ReconcileFailed` event message for a node that failed for good. */
export function reconcileFailedMessage(node: string, policy: string, retries: number): string {
  return `reconciliation of enactment "${enactmentName(node, policy)}" has failed after ${retries} retries`;
}

/** Upstream's aborted message (the Aborted condition and the `ReconcileFailed` event). */
export function reconcileAbortedMessage(node: string, policy: string): string {
  return `reconciliation of enactment "${enactmentName(node, policy)}" has aborted`;
}

/** What the NNCE of one node is computed from (the workflow's view of the node). */
export interface EnactmentView {
  node: string;
  phase: NodeRolloutPhase;
  /** Apply attempts made so far for this generation (the one in flight included). */
  attempts: number;
  /** Attempts allowed. */
  maxAttempts: number;
  /** Full text of the last failure. */
  error?: string;
  /** The state rendered for the node. */
  renderedState?: Record<string, unknown>;
  /** The capture cache. */
  capturedStates?: Record<string, unknown>;
}

/**
 * The condition changes for a node's phase (upstream's matrix; knmstate's extra phases mapped):
 *
 * | phase | True condition / reason | message |
 * |---|---|---|
 * | Pending | Pending / MaxUnavailableLimitReached | `Waiting for progressing nodes to finish` |
 * | Applying, Verifying | Progressing / ConfigurationProgressing | `Applying desired state` |
 * | Retrying | Failing + Progressing / Retrying | `failed to reconcile … on node N. Retrying k/M` |
 * | Succeeded | Available / SuccessfullyConfigured | `successfully reconciled` |
 * | Failed | Failing / FailedToConfigure | the error text |
 * | Aborted | Aborted / ConfigurationAborted | `reconciliation of enactment "<name>" has aborted` |
 * | RollingBack | Progressing / ConfigurationProgressing | `Rolling back desired state` |
 * | RolledBack | Aborted / ConfigurationAborted | `reconciliation of enactment "<name>" has been rolled back` |
 * | Skipped | none: all Unknown, as a new enactment | `node is not Ready, skipped` on Pending |
 *
 * A rolled back node no longer carries the policy, so it reads Aborted (counted as aborted, never
 * Available). A skipped node was left out like upstream's NotReady nodes: neither pending nor
 * aborted, so it holds no condition True.
 */
export function enactmentConditionChanges(view: EnactmentView, policy: string): NnceConditionChange[] {
  switch (view.phase) {
    case 'Pending':
      return setEnactmentPending('Waiting for progressing nodes to finish');
    case 'Applying':
    case 'Verifying':
      return setEnactmentProgressing('Applying desired state');
    case 'Retrying':
      return setEnactmentRetrying(retryingMessage(view.node, Math.min(view.attempts + 1, Math.max(view.maxAttempts, 1)), view.maxAttempts));
    case 'Succeeded':
      return setEnactmentSuccess('successfully reconciled');
    case 'Failed':
      return setEnactmentFailedToConfigure(truncateError(view.error || `error reconciling NodeNetworkConfigurationPolicy on node ${view.node}`, ENACTMENT_MESSAGE_MAX_LENGTH));
    case 'Aborted':
      return setEnactmentAborted(reconcileAbortedMessage(view.node, policy));
    case 'RollingBack':
      return setEnactmentProgressing('Rolling back desired state');
    case 'RolledBack':
      return setEnactmentAborted(`reconciliation of enactment "${enactmentName(view.node, policy)}" has been rolled back`);
    case 'Skipped':
      return setEnactmentUnknown(`node ${view.node} is not Ready, skipped`);
  }
}

/**
 * Failed apply attempts for `retryCount[generation]`: every attempt made, but the one still in
 * flight or the one that succeeded.
 */
export function failedAttempts(view: Pick<EnactmentView, 'phase' | 'attempts'>): number {
  const settledByFailure = view.phase === 'Failed' || view.phase === 'Retrying' || view.phase === 'Aborted' || view.phase === 'Pending' || view.phase === 'Skipped';
  return Math.max(0, settledByFailure ? view.attempts : view.attempts - 1);
}

/** Options of {@link enactmentStatus}. */
export interface EnactmentStatusOptions {
  policy: string;
  /** The policy generation the view belongs to. */
  generation: number;
  /** Kubernetes time of the write. */
  now: string;
}

/**
 * The NNCE status for a node's view, starting from the current status: conditions under the update
 * rule, `policyGeneration`, `retryCount[generation]` (other generations kept), `desiredState` and
 * `capturedStates` from the view (kept when absent, but a rendered state of an older generation is
 * dropped).
 */
export function enactmentStatus(current: NnceStatus | undefined, view: EnactmentView, opts: EnactmentStatusOptions): NnceStatus {
  const sameGeneration = current?.policyGeneration === opts.generation;
  const conditions: NnceCondition[] = setConditions(current?.conditions ?? [], enactmentConditionChanges(view, opts.policy), opts.now);
  const desiredState = view.renderedState ?? (sameGeneration ? current?.desiredState : undefined);
  const capturedStates = (view.capturedStates as NnceStatus['capturedStates']) ?? current?.capturedStates;
  return {
    ...(desiredState ? { desiredState } : {}),
    ...(capturedStates ? { capturedStates } : {}),
    policyGeneration: opts.generation,
    conditions,
    ...(current?.features && sameGeneration ? { features: current.features } : {}),
    retryCount: { ...(current?.retryCount ?? {}), [String(opts.generation)]: failedAttempts(view) },
  };
}
