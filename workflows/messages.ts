/**
 * The messages of a policy rollout, defined once: the workflow sets their handlers, the controller and
 * the CLI send them. Names are part of the wire contract (a running workflow started by an older
 * version still answers them), so they never change.
 *
 * - signals (fire and forget; accepted by the server even while no worker runs):
 *   {@link pauseSignal}, {@link resumeSignal}, {@link promoteSignal}, {@link policyChangedSignal};
 * - update (the caller waits for the workflow's answer; a validator refuses what cannot be done):
 *   {@link abortUpdate};
 * - query (read-only, no history): {@link progressQuery}.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { NncpSpec, OnFailureMode } from '../crd/nncp.ts';
import type { RolloutProgress } from '../crd/progress.ts';

/** Who asked for a control action, and why (shown in the status and the Temporal UI). */
export interface ControlRequest {
  /** A user or component name, e.g. `kubectl-nmstate/alice` or `controller`. */
  requestedBy?: string;
  reason?: string;
}

/** Stop starting nodes at the next node boundary; nodes in flight finish. */
export const pauseSignal = defineSignal<[ControlRequest?]>('pause');

/** Start nodes again after a pause. */
export const resumeSignal = defineSignal<[ControlRequest?]>('resume');

/** Opens manual wave gates up to and including the gate after wave `wave` (1-based). */
export interface PromoteRequest extends ControlRequest {
  wave: number;
}

/** Approve the manual gate after a wave (`kubectl nmstate promote`, or the `nmstate.io/rollout-approved-wave` annotation). */
export const promoteSignal = defineSignal<[PromoteRequest]>('promote');

/** A policy revision: what the controller read from the NNCP. */
export interface PolicyRevision {
  /** `metadata.generation`. */
  generation: number;
  spec: NncpSpec;
  /** `metadata.uid`, to tell a re-created policy of the same name apart. */
  uid?: string;
}

/**
 * The policy changed while its rollout runs. A newer generation supersedes the rollout (no new
 * node starts, nodes in flight finish, the rollout continues with the new spec); the same
 * generation with other control fields (`spec.rollout.paused`) only steers it; an older one is
 * ignored.
 */
export const policyChangedSignal = defineSignal<[PolicyRevision]>('policyChanged');

/** How to abort: `halt` keeps what is configured; `rollback` also reverts the configured nodes. */
export interface AbortRequest extends ControlRequest {
  mode: OnFailureMode;
}

/** What an accepted abort will do (the update's result, printed by `kubectl nmstate abort`). */
export interface AbortAccepted {
  mode: OnFailureMode;
  /** Nodes not started yet: they end Aborted. */
  abortedNodes: string[];
  /** Nodes in flight: they finish their apply first (and are reverted with `rollback` if it succeeded). */
  inFlightNodes: string[];
  /** Nodes that will be reverted, in order (`rollback` only). */
  revertNodes: string[];
}

/**
 * Abort the rollout. Refused (validator, nothing recorded) when the rollout already ended, or when a
 * rollback is under way and `halt` is asked. A `rollback` after a `halt` is accepted while the
 * workflow still runs.
 */
export const abortUpdate = defineUpdate<AbortAccepted, [AbortRequest]>('abort');

export type { NodeProgress, ProgressCounts, RolloutProgress, WaveProgress } from '../crd/progress.ts';

/** The rollout's live progress. */
export const progressQuery = defineQuery<RolloutProgress>('progress');
