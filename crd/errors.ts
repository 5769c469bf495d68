/**
 * knmstate's own errors: every one has a `type`, the `type` of the Temporal `ApplicationFailure` it
 * becomes when it crosses an activity boundary, and whether a retry can help is written once, in
 * {@link ERROR_TYPES}. No I/O and no Temporal import: workflow code may import this module to
 * decide what to do with a failure's `type`.
 *
 * | type | retryable | meaning |
 * |---|---|---|
 * | `InvalidDesiredState` | no | the state (or an activity input) fails validation (knmstate's or nmstate's); nothing was changed |
 * | `UnsupportedDesiredState` | no | valid, but this node cannot do it (kernel mode, a missing kernel module, a link kind the kernel cannot create); put back |
 * | `CaptureRenderFailed` | no | an nmpolicy capture or template failed against this node's state (upstream does not retry these either) |
 * | `VerificationFailed` | yes | nmstate applied but its verification failed; put back |
 * | `ProbeFailed` | yes | the state applied, a connectivity probe that passed before failed after; rolled back |
 * | `NmstateTimeout` | yes | nmstatectl did not finish in time and was killed; put back |
 * | `NmstateFailed` | yes | any other nmstatectl failure (NetworkManager, nispor, unreadable output); put back |
 * | `NetworkManagerUnavailable` | yes | NetworkManager cannot be reached over D-Bus; it may be restarting |
 * | `CheckpointConflict` | yes | another NetworkManager checkpoint appeared before the apply; nothing was changed; the next attempt rolls it back first |
 * | `CheckpointExpired` | yes | `commit` found no checkpoint: NetworkManager's own timeout rolled the change back first |
 * | `RollbackFailed` | no | putting the node back did not reach the snapshot: the node needs a human (the journal keeps the snapshot) |
 * | `JournalUnreadable` | no | a node journal file cannot be parsed: the node needs a human |
 * | `AgentLocked` | no | another live agent serves the node |
 * | `KubeApiFailed` | yes | a Kubernetes API call failed (the status code is on the error) |
 * | `InvalidConfiguration` | no | the agent's or controller's configuration is wrong (environment, kubeconfig, a node name or namespace) |
 */

/** Every failure type with whether a retry can help. The one table of retryability. */
export const ERROR_TYPES = {
  InvalidDesiredState: { retryable: false },
  UnsupportedDesiredState: { retryable: false },
  CaptureRenderFailed: { retryable: false },
  VerificationFailed: { retryable: true },
  ProbeFailed: { retryable: true },
  NmstateTimeout: { retryable: true },
  NmstateFailed: { retryable: true },
  NetworkManagerUnavailable: { retryable: true },
  CheckpointConflict: { retryable: true },
  CheckpointExpired: { retryable: true },
  RollbackFailed: { retryable: false },
  JournalUnreadable: { retryable: false },
  AgentLocked: { retryable: false },
  KubeApiFailed: { retryable: true },
  InvalidConfiguration: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

/** A knmstate failure type (`ApplicationFailure.type`). */
export type KnmstateErrorType = keyof typeof ERROR_TYPES;

/** The failure types the node activities (`applyNodeState`, `revertNodeState`, `planNode`) throw. */
export const NODE_ERROR_TYPES = [
  'InvalidDesiredState',
  'UnsupportedDesiredState',
  'CaptureRenderFailed',
  'VerificationFailed',
  'ProbeFailed',
  'NmstateTimeout',
  'NmstateFailed',
  'NetworkManagerUnavailable',
  'CheckpointConflict',
  'CheckpointExpired',
  'RollbackFailed',
] as const satisfies readonly KnmstateErrorType[];
/** A failure type of the node activities. */
export type NodeErrorType = (typeof NODE_ERROR_TYPES)[number];

/** Whether `type` is one of the node activities' failure types. */
export function isNodeErrorType(type: string): type is NodeErrorType {
  return (NODE_ERROR_TYPES as readonly string[]).includes(type);
}

/** Whether a retry can help with a failure of this type (unknown types: yes, Temporal's default). */
export function isRetryable(type: string): boolean {
  return (ERROR_TYPES as Record<string, { retryable: boolean } | undefined>)[type]?.retryable ?? true;
}

/** The failure types a retry cannot fix (for `RetryPolicy.nonRetryableErrorTypes`). */
export const NON_RETRYABLE_ERROR_TYPES: readonly KnmstateErrorType[] = (Object.keys(ERROR_TYPES) as KnmstateErrorType[]).filter((t) => !ERROR_TYPES[t].retryable);

/**
 * Base of knmstate's own errors. `type` is the `ApplicationFailure` type it becomes at an activity
 * boundary; `retryable` comes from {@link ERROR_TYPES}.
 */
export class KnmstateError extends Error {
  readonly type: KnmstateErrorType;
  constructor(type: KnmstateErrorType, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.type = type;
  }

  /** Whether a retry can help. */
  get retryable(): boolean {
    return ERROR_TYPES[this.type].retryable;
  }
}

/** The configuration (environment, kubeconfig, a name or path) is wrong; fix it and restart. */
export class InvalidConfigurationError extends KnmstateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('InvalidConfiguration', message, options);
  }
}
