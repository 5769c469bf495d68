/**
 * Inputs and outputs of the node activities (plain JSON: they cross Temporal). The rollout workflow
 * calls them on the node's own task queue:
 *
 *   const node = proxyActivities<NodeActivities>({ taskQueue: nodeTaskQueue(name), startToCloseTimeout: '15m', heartbeatTimeout: '30s' });
 */
import type { CapturedStates, NetworkState, NmstateMode } from '../nmstate/types.ts';
import type { DiffSummary } from './state.ts';
import type { NodeErrorType } from './errors.ts';

export type { CapturedStates, NetworkState, NmstateMode } from '../nmstate/types.ts';
export type { DiffSummary } from './state.ts';

/** The connectivity probes, as upstream names them. */
export type ProbeName = 'ping' | 'dns' | 'api-server' | 'node-readiness';

/** Probe settings; each field overrides the agent's default. */
export interface ProbeOptions {
  /** How long each probe may take to pass after the change. @default 120 (upstream) */
  timeoutSeconds?: number;
  /** How long `ping` and `dns` may take to pass before the change to be selected. @default 120 (upstream) */
  selectTimeoutSeconds?: number;
  /** Pause between attempts. @default 1000 */
  intervalMs?: number;
  /** Host the DNS probe resolves; `root-servers.net` (upstream's default) is an NS lookup. */
  dnsHost?: string;
  /** Probes not to run at all. */
  disabled?: ProbeName[];
}

/** Input of `applyNodeState`. */
export interface ApplyNodeStateInput {
  /** Policy (NNCP) name. */
  policy: string;
  /** The policy's `metadata.generation`. */
  generation: number;
  /** `spec.desiredState`; may hold `{{ capture.… }}` templates. */
  desiredState: NetworkState;
  /** `spec.capture`: nmpolicy expressions by name. */
  capture?: Record<string, string>;
  /**
   * Captures resolved by an earlier attempt (NNCE.status.capturedStates): reused, not evaluated
   * again, as upstream does, so a node renders the same state on every attempt.
   */
  capturedStates?: CapturedStates;
  probes?: ProbeOptions;
}

/** One probe run (before or after the change). */
export interface ProbeOutcome {
  ok: boolean;
  /** What was checked, or why it failed. */
  message: string;
  attempts: number;
  durationMs: number;
}

/** One probe across the apply. */
export interface ProbeReport {
  name: ProbeName;
  selected: boolean;
  /** Why it was not selected. */
  reason?: string;
  before?: ProbeOutcome;
  after?: ProbeOutcome;
  /** Run once more after a rollback, to let the node settle (upstream does the same). */
  afterRollback?: ProbeOutcome;
}

/** Where the time of an apply went. */
export interface ApplyDurations {
  totalMs: number;
  /** Rendering captures (nmstatectl show + policy). */
  renderMs: number;
  /** Probe selection before the change. */
  probeSelectMs: number;
  applyMs: number;
  /** Probes after the change. */
  probeMs: number;
  commitMs: number;
  /** Undoing the change, when it was undone. */
  restoreMs: number;
  /** Time inside nmstatectl (outside the probes). */
  nmstatectlMs: number;
  /** knmstate's own time: total minus nmstatectl minus the probe phases. */
  overheadMs: number;
}

/** What a recovery at the start of an activity (or of the agent) did with a half-done attempt. */
export interface RecoveryReport {
  op: 'apply' | 'revert';
  policy: string;
  generation: number;
  /** The phase the earlier attempt had reached. */
  phase: string;
  /** `undone`: put back to the snapshot; `finished`: it had committed, its record was completed. */
  action: 'undone' | 'finished';
  /** Restore actions taken. */
  actions: string[];
  /** Remaining differences (empty when clean). */
  differences: string[];
}

/** Result of a successful `applyNodeState`. */
export interface ApplyNodeStateResult {
  node: string;
  policy: string;
  generation: number;
  mode: NmstateMode;
  /** `applied`; `empty` when the rendered state asks for nothing (upstream: "Ignoring empty desired state"). */
  outcome: 'applied' | 'empty';
  /** The state rendered for this node (captures resolved): NNCE.status.desiredState. */
  renderedState: NetworkState;
  /** NNCE.status.capturedStates. */
  capturedStates: CapturedStates;
  probes: ProbeReport[];
  durations: ApplyDurations;
  /** What changed (computed before the apply). */
  diff: DiffSummary;
  /** nmstatectl's own account of the applied difference (its `apply` output). */
  nmstateOutput: string;
  /** NetworkManager mode: the checkpoint timeout T of `apply --no-commit --timeout T` (probe timeout + margin). */
  checkpointTimeoutSeconds?: number;
  /** A half-done earlier attempt that was finished or undone first. */
  recovered?: RecoveryReport;
  /** True when this attempt found the same policy generation already committed by an earlier attempt. */
  alreadyApplied?: boolean;
}

/** `details[0]` of every failure `applyNodeState`/`revertNodeState` throw. */
export interface ApplyFailureDetails {
  node: string;
  policy: string;
  generation: number;
  type: NodeErrorType;
  /** Upstream-style text, e.g. `failed runnig probe 'ping' …` or nmstatectl's error line. */
  message: string;
  /** Validation problems (`InvalidDesiredState`). */
  problems?: { path: string; rule: string; message: string }[];
  renderedState?: NetworkState;
  capturedStates?: CapturedStates;
  probes?: ProbeReport[];
  /** Whether the node was touched and then put back. */
  rolledBack: boolean;
  /** Restore actions taken. */
  restoreActions?: string[];
  /** Differences to the snapshot that remain after putting back (empty = clean). */
  remainingDifferences?: string[];
  durations?: Partial<ApplyDurations>;
  recovered?: RecoveryReport;
}

/** Input of `revertNodeState`. */
export interface RevertNodeStateInput {
  policy: string;
  generation: number;
}

/** Result of `revertNodeState`. */
export interface RevertNodeStateResult {
  node: string;
  policy: string;
  generation: number;
  /** False when this node has no record of that policy generation (never applied, or already reverted). */
  reverted: boolean;
  reason?: string;
  /** Restore actions taken. */
  actions: string[];
  durationMs: number;
  recovered?: RecoveryReport;
}

/** Input of `showNodeState`. */
export interface ShowNodeStateInput {
  /** Filter like NodeNetworkState does. @default false */
  filtered?: boolean;
}

/** Result of `showNodeState`. */
export interface ShowNodeStateResult {
  node: string;
  mode: NmstateMode;
  state: NetworkState;
  /** ISO time of the read. */
  time: string;
}

/** Input of `planNode`. */
export interface PlanNodeInput {
  desiredState: NetworkState;
  capture?: Record<string, string>;
  capturedStates?: CapturedStates;
}

/** Result of `planNode`: what an apply would do, with nothing touched. */
export interface PlanNodeResult {
  node: string;
  mode: NmstateMode;
  renderedState: NetworkState;
  capturedStates: CapturedStates;
  diff: DiffSummary;
  /** The node's current state, filtered like NodeNetworkState. */
  currentState: NetworkState;
}

/** The node activities, as the rollout workflow proxies them (`proxyActivities<NodeActivities>`). */
export interface NodeActivities {
  /** Renders, probes, applies, probes again, commits or rolls back; see activities/node/apply.ts. */
  applyNodeState(input: ApplyNodeStateInput): Promise<ApplyNodeStateResult>;
  /** Puts back the state recorded before that policy generation's apply on this node. */
  revertNodeState(input: RevertNodeStateInput): Promise<RevertNodeStateResult>;
  /** The node's current state. */
  showNodeState(input?: ShowNodeStateInput): Promise<ShowNodeStateResult>;
  /** Renders captures and reports what an apply would change; touches nothing. */
  planNode(input: PlanNodeInput): Promise<PlanNodeResult>;
}
