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
 * | `NmstateFailed` | yes | any other nmstatectl failure (NetworkManager, nispor); put back |
 * | `NetworkManagerUnavailable` | yes | NetworkManager mode: NetworkManager cannot be reached over D-Bus (`DbusConnectionError`: no bus socket, or NetworkManager not on the bus); it may be restarting, so a retry can help |
 * | `CheckpointConflict` | yes | NetworkManager mode: another checkpoint appeared between the agent's clean-up and its apply (`CheckpointConflict`); nothing was changed; the next attempt rolls the leftover back first |
 * | `CheckpointExpired` | yes | NetworkManager mode: `commit` found no checkpoint (`Not active checkpoints`): NetworkManager's own timeout rolled the change back before the probes and the commit were done (the node was too loaded for the checkpoint timeout); checked equal to the snapshot |
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
/** NetworkManager cannot be reached over D-Bus (down, restarting, no bus). Retryable. */
export const NetworkManagerUnavailable = 'NetworkManagerUnavailable';
/** Another NetworkManager checkpoint is pending; nothing was changed. Retryable (the next attempt rolls it back first). */
export const CheckpointConflict = 'CheckpointConflict';
/** NetworkManager rolled the change back at its checkpoint timeout before the commit. Retryable. */
export const CheckpointExpired = 'CheckpointExpired';
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
  | typeof NetworkManagerUnavailable
  | typeof CheckpointConflict
  | typeof CheckpointExpired
  | typeof RollbackFailed;

/** Failure types that a retry cannot fix (also set as `nonRetryable` on the failure itself). */
export const NON_RETRYABLE_NODE_ERRORS: readonly NodeErrorType[] = [InvalidDesiredState, UnsupportedDesiredState, CaptureRenderFailed, RollbackFailed];
