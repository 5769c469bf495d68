/**
 * Failure types of the node activities: the `type` of the ApplicationFailure each throws. Every
 * failure that happened after the node was touched comes after the node was put back (and checked);
 * the failure's `details[0]` is an {@link ApplyFailureDetails} saying what happened.
 *
 * Workflow code may not import this module's values (activities are type-only there); it can check
 * `failure.type` against the {@link NodeErrorType} union with `import type`.
 *
 * | type | retryable | meaning |
 * |---|---|---|
 * | `InvalidDesiredState` | no | the state fails validation (knmstate's or nmstate's: `InvalidArgument`, unparsable); nothing was changed |
 * | `UnsupportedDesiredState` | no | valid, but this node cannot do it (kernel mode, missing kernel module: `NotImplementedError`, `NotSupportedError`, a link kind that cannot be created); put back |
 * | `CaptureRenderFailed` | no | an nmpolicy capture or template failed against this node's state (upstream does not retry these either) |
 * | `VerificationFailed` | yes | nmstate applied but its verification failed; put back (NM: nmstate's own rollback) |
 * | `ProbeFailed` | yes | the state applied, a connectivity probe that passed before failed after; rolled back |
 * | `NmstateTimeout` | yes | nmstatectl did not finish in time and was killed; put back |
 * | `NmstateFailed` | yes | any other nmstatectl failure (D-Bus, NetworkManager, nispor); put back |
 * | `RollbackFailed` | no | putting the node back did not reach the snapshot: the node needs a human (the journal keeps the snapshot) |
 *
 * Cancellation (a workflow cancel, or the agent's shutdown deadline) is not one of these: the
 * activity puts the node back and rethrows Temporal's own CancelledFailure, so a cancel reads as a
 * cancel and a shutdown is retried once the agent is back.
 */

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
/** Putting the node back did not reach the recorded state. Non-retryable: needs attention. */
export const RollbackFailed = 'RollbackFailed';

/** Every failure type a node activity throws. */
export type NodeErrorType =
  | typeof InvalidDesiredState
  | typeof UnsupportedDesiredState
  | typeof CaptureRenderFailed
  | typeof VerificationFailed
  | typeof ProbeFailed
  | typeof NmstateTimeout
  | typeof NmstateFailed
  | typeof RollbackFailed;

/** Failure types that a retry cannot fix (also set as `nonRetryable` on the failure itself). */
export const NON_RETRYABLE_NODE_ERRORS: readonly NodeErrorType[] = [InvalidDesiredState, UnsupportedDesiredState, CaptureRenderFailed, RollbackFailed];
