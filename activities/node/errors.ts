/**
 * Failures of the node activities. Every failure that happened after the node was touched comes
 * after the node was put back (and checked); the failure's `details[0]` is an
 * {@link ApplyFailureDetails} saying what happened. The types, their meaning and whether a retry
 * helps are crd/errors.ts's table ({@link ERROR_TYPES}); workflow code checks `failure.type` against
 * {@link NodeErrorType} from there.
 *
 * Cancellation (a workflow cancel, or the agent's shutdown deadline) is not one of these: the
 * activity puts the node back and rethrows Temporal's own CancelledFailure, so a cancel reads as a
 * cancel and a shutdown is retried once the agent is back.
 */
import { ApplicationFailure } from '@temporalio/common';
import { KnmstateError, NODE_ERROR_TYPES, isRetryable, type NodeErrorType } from '../../crd/errors.ts';
import type { ApplyFailureDetails } from './contract.ts';

export { ERROR_TYPES, NODE_ERROR_TYPES, isRetryable, KnmstateError, type KnmstateErrorType, type NodeErrorType } from '../../crd/errors.ts';

/** The state fails validation; nothing was changed. Non-retryable. */
export const InvalidDesiredState = 'InvalidDesiredState';
/** The node cannot do what the state asks (kernel-mode limit, missing kernel module). Non-retryable. */
export const UnsupportedDesiredState = 'UnsupportedDesiredState';
/** A capture or template failed to render against this node's state. Non-retryable. */
export const CaptureRenderFailed = 'CaptureRenderFailed';
/** nmstate's verification of the applied state failed; the node was put back. Retryable. */
export const VerificationFailed = 'VerificationFailed';
/** A probe that passed before the change failed after it; the node was rolled back. Retryable. */
export const ProbeFailed = 'ProbeFailed';
/** nmstatectl exceeded its timeout and was killed; the node was put back. Retryable. */
export const NmstateTimeout = 'NmstateTimeout';
/** Another nmstatectl failure (backend trouble); the node was put back. Retryable. */
export const NmstateFailed = 'NmstateFailed';
/** NetworkManager cannot be reached over D-Bus (down, restarting, no bus). Retryable. */
export const NetworkManagerUnavailable = 'NetworkManagerUnavailable';
/** Another NetworkManager checkpoint is pending; nothing was changed. Retryable (the next attempt rolls it back first). */
export const CheckpointConflict = 'CheckpointConflict';
/** NetworkManager rolled the change back at its checkpoint timeout before the commit. Retryable. */
export const CheckpointExpired = 'CheckpointExpired';
/** Putting the node back did not reach the recorded state. Non-retryable: needs attention. */
export const RollbackFailed = 'RollbackFailed';

/** Node failure types that a retry cannot fix (also set as `nonRetryable` on the failure itself). */
export const NON_RETRYABLE_NODE_ERRORS: readonly NodeErrorType[] = NODE_ERROR_TYPES.filter((t) => !isRetryable(t));

/** A node activity's failure, with what happened on the node; its `type` is `details.type`. */
export class NodeFailure extends KnmstateError {
  declare readonly type: NodeErrorType;
  readonly details: ApplyFailureDetails;
  constructor(details: ApplyFailureDetails, options?: { cause?: unknown }) {
    super(details.type, details.message, options);
    this.details = details;
  }
}

/** The `ApplicationFailure` a knmstate error becomes at the activity boundary: its type, retryability and details. */
export function toApplicationFailure(err: KnmstateError): ApplicationFailure {
  const details = err instanceof NodeFailure ? [err.details] : undefined;
  const cause = err.cause instanceof Error ? err.cause : undefined;
  return ApplicationFailure.create({ message: err.message, type: err.type, nonRetryable: !err.retryable, ...(details ? { details } : {}), ...(cause ? { cause } : {}) });
}
