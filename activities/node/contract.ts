/**
 * The node activities' contract: one zod definition per input and result, the TypeScript types
 * inferred from it. Plain JSON (it crosses Temporal). Imports only zod and crd/, so the rollout
 * workflow can `import type` it, and the CLI can import the schemas, without pulling in any I/O.
 * The node agent parses every input with these schemas. The rollout workflow calls them on the
 * node's own task queue:
 *
 *   const node = proxyActivities<NodeActivities>({ taskQueue: nodeTaskQueue(name), startToCloseTimeout: '15m', heartbeatTimeout: '30s' });
 *   await node.applyNodeState({ policy, generation, desiredState, probes: planRollout(spec, nodes).probes });
 */
import { z } from 'zod';
import { capturedStatesSchema, networkStateSchema, nmstateModeSchema } from '../../crd/network-state.ts';
import { NODE_ERROR_TYPES } from '../../crd/errors.ts';
import { probeNameSchema, probeSettingsInputSchema } from '../../crd/probes.ts';

export type { CapturedState, CapturedStates, NetworkState, NmstateMode } from '../../crd/network-state.ts';
export type { NodeErrorType } from '../../crd/errors.ts';
export type { ProbeName, ProbeSettings, ProbeSettingsInput, ResolvedProbes } from '../../crd/probes.ts';

const policy = z.string().min(1, 'is required');
const generation = z.number().int().min(0);

/** Schema of {@link ApplyNodeStateInput}. */
export const applyNodeStateInputSchema = z.object({
  /** Policy (NNCP) name. */
  policy,
  /** The policy's `metadata.generation`. */
  generation,
  /** `spec.desiredState`; may hold `{{ capture.… }}` templates. */
  desiredState: networkStateSchema,
  /** `spec.capture`: nmpolicy expressions by name. */
  capture: z.record(z.string(), z.string()).optional(),
  /**
   * Captures resolved by an earlier attempt (NNCE.status.capturedStates): reused, not evaluated
   * again, as upstream does, so a node renders the same state on every attempt.
   */
  capturedStates: capturedStatesSchema.optional(),
  /** Probe settings, e.g. `planRollout(spec, nodes).probes`; what is left open comes from the agent's defaults. */
  probes: probeSettingsInputSchema.optional(),
});
/** Input of `applyNodeState`. */
export type ApplyNodeStateInput = z.infer<typeof applyNodeStateInputSchema>;

/** Schema of {@link ProbeOutcome}. */
export const probeOutcomeSchema = z.object({
  ok: z.boolean(),
  /** What was checked, or why it failed. */
  message: z.string(),
  attempts: z.number().int(),
  durationMs: z.number(),
});
/** One probe run (before or after the change). */
export type ProbeOutcome = z.infer<typeof probeOutcomeSchema>;

/** Schema of {@link ProbeReport}. */
export const probeReportSchema = z.object({
  name: probeNameSchema,
  selected: z.boolean(),
  /** Why it was (or was not) selected. */
  reason: z.string().optional(),
  /** The selection check before the change (ping and dns), bounded by the selection timeout. */
  before: probeOutcomeSchema.optional(),
  after: probeOutcomeSchema.optional(),
  /** Run once more after a rollback, to let the node settle (upstream does the same). */
  afterRollback: probeOutcomeSchema.optional(),
});
/** One probe across the apply: the selection decision (selected or not, why, how long) and its runs. */
export type ProbeReport = z.infer<typeof probeReportSchema>;

/** Schema of {@link ApplyDurations}. */
export const applyDurationsSchema = z.object({
  totalMs: z.number(),
  /** Rendering captures (nmstatectl show + policy). */
  renderMs: z.number(),
  /** Probe selection before the change. */
  probeSelectMs: z.number(),
  applyMs: z.number(),
  /** Probes after the change. */
  probeMs: z.number(),
  commitMs: z.number(),
  /** Undoing the change, when it was undone. */
  restoreMs: z.number(),
  /** Time inside nmstatectl (outside the probes). */
  nmstatectlMs: z.number(),
  /** knmstate's own time: total minus nmstatectl minus the probe phases. */
  overheadMs: z.number(),
});
/** Where the time of an apply went. */
export type ApplyDurations = z.infer<typeof applyDurationsSchema>;

/** Schema of {@link DiffSummary}. */
export const diffSummarySchema = z.object({
  interfaces: z.object({ create: z.array(z.string()), modify: z.array(z.string()), remove: z.array(z.string()), unchanged: z.array(z.string()) }),
  routes: z.object({ add: z.array(z.string()), remove: z.array(z.string()) }),
  /** `dns-resolver.config` would change. */
  dns: z.boolean(),
  /** The state has route rules (not compared in detail). */
  routeRules: z.boolean(),
  /** Number of changes; 0 = the node already matches. */
  changes: z.number().int(),
});
/** What applying a desired state would change, per kind of object. */
export type DiffSummary = z.infer<typeof diffSummarySchema>;

/** Schema of {@link RecoveryReport}. */
export const recoveryReportSchema = z.object({
  op: z.enum(['apply', 'revert']),
  policy: z.string(),
  generation: z.number().int(),
  /** The phase the earlier attempt had reached. */
  phase: z.string(),
  /** `undone`: put back to the snapshot; `finished`: it had committed, its record was completed. */
  action: z.enum(['undone', 'finished']),
  /** Restore actions taken. */
  actions: z.array(z.string()),
  /** Remaining differences (empty when clean). */
  differences: z.array(z.string()),
});
/** What a recovery at the start of an activity (or of the agent) did with a half-done attempt. */
export type RecoveryReport = z.infer<typeof recoveryReportSchema>;

/** Schema of {@link ApplyNodeStateResult}. */
export const applyNodeStateResultSchema = z.object({
  node: z.string(),
  policy: z.string(),
  generation: z.number().int(),
  mode: nmstateModeSchema,
  /** `applied`; `empty` when the rendered state asks for nothing (upstream: "Ignoring empty desired state"). */
  outcome: z.enum(['applied', 'empty']),
  /** The state rendered for this node (captures resolved): NNCE.status.desiredState. */
  renderedState: networkStateSchema,
  /** NNCE.status.capturedStates. */
  capturedStates: capturedStatesSchema,
  probes: z.array(probeReportSchema),
  durations: applyDurationsSchema,
  /** What changed (computed before the apply). */
  diff: diffSummarySchema,
  /** nmstatectl's own account of the applied difference (its `apply` output). */
  nmstateOutput: z.string(),
  /** NetworkManager mode: the checkpoint timeout T of `apply --no-commit --timeout T` (probe timeout + margin). */
  checkpointTimeoutSeconds: z.number().int().optional(),
  /** A half-done earlier attempt that was finished or undone first. */
  recovered: recoveryReportSchema.optional(),
  /** True when this attempt found the same policy generation already committed by an earlier attempt. */
  alreadyApplied: z.boolean().optional(),
});
/** Result of a successful `applyNodeState`. */
export type ApplyNodeStateResult = z.infer<typeof applyNodeStateResultSchema>;

/** Schema of one validation problem. */
export const problemSchema = z.object({ path: z.string(), rule: z.string(), message: z.string() });
/** One validation problem: the field path, the rule broken and a sentence. */
export type Problem = z.infer<typeof problemSchema>;

/** Schema of {@link ApplyFailureDetails}. */
export const applyFailureDetailsSchema = z.object({
  node: z.string(),
  policy: z.string(),
  generation: z.number().int(),
  type: z.enum(NODE_ERROR_TYPES),
  /** Upstream-style text, e.g. `failed runnig probe 'ping' …` or nmstatectl's error line. */
  message: z.string(),
  /** Validation problems (`InvalidDesiredState`, `UnsupportedDesiredState`). */
  problems: z.array(problemSchema).optional(),
  renderedState: networkStateSchema.optional(),
  capturedStates: capturedStatesSchema.optional(),
  probes: z.array(probeReportSchema).optional(),
  /** Whether the node was touched and then put back. */
  rolledBack: z.boolean(),
  /** Restore actions taken. */
  restoreActions: z.array(z.string()).optional(),
  /** Differences to the snapshot that remain after putting back (empty = clean). */
  remainingDifferences: z.array(z.string()).optional(),
  durations: applyDurationsSchema.partial().optional(),
  recovered: recoveryReportSchema.optional(),
});
/** `details[0]` of every failure `applyNodeState`/`revertNodeState`/`planNode` throw. */
export type ApplyFailureDetails = z.infer<typeof applyFailureDetailsSchema>;

/** Schema of {@link RevertNodeStateInput}. */
export const revertNodeStateInputSchema = z.object({ policy, generation });
/** Input of `revertNodeState`. */
export type RevertNodeStateInput = z.infer<typeof revertNodeStateInputSchema>;

/** Schema of {@link RevertNodeStateResult}. */
export const revertNodeStateResultSchema = z.object({
  node: z.string(),
  policy: z.string(),
  generation: z.number().int(),
  /** False when this node has no record of that policy generation (never applied, or already reverted). */
  reverted: z.boolean(),
  reason: z.string().optional(),
  /** Restore actions taken. */
  actions: z.array(z.string()),
  durationMs: z.number(),
  recovered: recoveryReportSchema.optional(),
});
/** Result of `revertNodeState`. */
export type RevertNodeStateResult = z.infer<typeof revertNodeStateResultSchema>;

/** Schema of {@link ShowNodeStateInput}. */
export const showNodeStateInputSchema = z.object({
  /** Filter like NodeNetworkState does. @default false */
  filtered: z.boolean().optional(),
});
/** Input of `showNodeState`. */
export type ShowNodeStateInput = z.infer<typeof showNodeStateInputSchema>;

/** Schema of {@link ShowNodeStateResult}. */
export const showNodeStateResultSchema = z.object({
  node: z.string(),
  mode: nmstateModeSchema,
  state: networkStateSchema,
  /** ISO time of the read. */
  time: z.string(),
});
/** Result of `showNodeState`. */
export type ShowNodeStateResult = z.infer<typeof showNodeStateResultSchema>;

/** Schema of {@link PlanNodeInput}. */
export const planNodeInputSchema = z.object({
  desiredState: networkStateSchema,
  capture: z.record(z.string(), z.string()).optional(),
  capturedStates: capturedStatesSchema.optional(),
});
/** Input of `planNode`. */
export type PlanNodeInput = z.infer<typeof planNodeInputSchema>;

/** Schema of {@link PlanNodeResult}. */
export const planNodeResultSchema = z.object({
  node: z.string(),
  mode: nmstateModeSchema,
  renderedState: networkStateSchema,
  capturedStates: capturedStatesSchema,
  diff: diffSummarySchema,
  /** The node's current state, filtered like NodeNetworkState. */
  currentState: networkStateSchema,
});
/** Result of `planNode`: what an apply would do, with nothing touched. */
export type PlanNodeResult = z.infer<typeof planNodeResultSchema>;

/** The node activities, as the rollout workflow proxies them (`proxyActivities<NodeActivities>`). */
export interface NodeActivities {
  /** Renders, probes, applies, probes again, commits or rolls back; see activities/node/agent.ts. */
  applyNodeState(input: ApplyNodeStateInput): Promise<ApplyNodeStateResult>;
  /** Puts back the state recorded before that policy generation's apply on this node. */
  revertNodeState(input: RevertNodeStateInput): Promise<RevertNodeStateResult>;
  /** The node's current state. */
  showNodeState(input?: ShowNodeStateInput): Promise<ShowNodeStateResult>;
  /** Renders captures and reports what an apply would change; touches nothing. */
  planNode(input: PlanNodeInput): Promise<PlanNodeResult>;
}
