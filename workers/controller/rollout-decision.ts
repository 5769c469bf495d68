/**
 * What the controller does about one policy, decided from what it sees (the NNCP with its status, the
 * nodes that match it) and what it remembers having done. Pure: no I/O, no clock; the reconciler
 * (workers/controller/reconciler.ts) carries the decision out.
 *
 * Level-based, like a Kubernetes controller: the same inputs give the same decision, whichever event
 * (add, update, a node change, a re-list after a restart) led to it.
 */
import type { NncpSpec, NncpStatus, RolloutPhase } from '../../crd/nncp.ts';
import { startsNewRollout } from '../../crd/rollout.ts';

/** Rollout phases after which the rollout workflow has ended. */
export const TERMINAL_PHASES: readonly RolloutPhase[] = ['Completed', 'Halted', 'RolledBack', 'Ignored'];

/**
 * Terminal phases after which a change of the matching nodes starts a new run of the same generation
 * (it applies the policy to the new nodes only: nodes already Available for the generation are
 * skipped). Not after Halted or RolledBack: a new run would retry the failed nodes and re-apply the
 * nodes a rollback reverted, which only a new generation (a user's edit) should do.
 */
export const RERUN_PHASES: readonly RolloutPhase[] = ['Completed', 'Ignored'];

/** The part of an NNCP the decisions read. */
export interface PolicySnapshot {
  name: string;
  uid?: string;
  generation: number;
  spec: NncpSpec;
  status?: NncpStatus;
  annotations?: Record<string, string>;
}

/** What the controller remembers of a policy between reconciles (in memory: empty after a restart). */
export interface PolicyMemory {
  uid?: string;
  /** Specs seen, by generation (the last few), to tell a steering-only edit after the run ended. */
  specs: { generation: number; spec: NncpSpec }[];
  /** The generation this process last sent with signal-with-start. */
  signalled?: number;
  /** When (ms since the epoch) the reconciler last made sure a run is open for {@link signalled}. */
  checkedAt?: number;
  /** `<generation>:<node,…>` of the last run started because the matching nodes changed. */
  rerunFor?: string;
  /** The approved wave last sent with a promote signal. */
  promoted?: number;
}

/** What to do about a policy's rollout. */
export type RolloutDecision =
  /**
   * Nothing. `awaitingRun`: this process signalled the generation and its status is not final yet;
   * the reconciler checks now and then that a run is still open to bring it there.
   */
  | { action: 'none'; reason: string; awaitingRun?: true }
  /** Signal-with-start the current revision: a running run steers, supersedes or ignores it; a closed one is followed by a new run. */
  | { action: 'signal'; reason: string }
  /**
   * The run ended and the matching nodes changed: start a new run of the same generation (once the
   * old run has closed; while it is still open, try again later). `key` goes to {@link PolicyMemory.rerunFor}.
   */
  | { action: 'rerun'; reason: string; key: string }
  /**
   * The run ended and the only edits since are steering fields (`spec.rollout.paused`): no new run
   * (it would apply every node again under the new generation); only the status is brought to the new
   * generation.
   */
  | { action: 'refreshStatus'; reason: string; fromGeneration: number };

/** Whether the status shows the rollout of `generation` ended (observedGeneration and a terminal phase). */
export function isFinalFor(status: NncpStatus | undefined, generation: number): boolean {
  if (status?.observedGeneration !== generation) return false;
  const phase = status.rollout?.phase;
  if (phase !== undefined) return TERMINAL_PHASES.includes(phase);
  // No knmstate rollout status: fall back on upstream's final conditions.
  return (status.conditions ?? []).some((c) => c.status === 'True' && (c.type === 'Available' || c.type === 'Ignored'));
}

/** The node names the status lists, sorted; undefined when the list is missing or cut short. */
export function statusNodes(status: NncpStatus | undefined): string[] | undefined {
  const r = status?.rollout;
  if (!r?.nodes) return undefined;
  if (r.counts?.matched !== undefined && r.counts.matched !== r.nodes.length) return undefined;
  return r.nodes.map((n) => n.name).sort();
}

const sortedUnique = (names: readonly string[]): string[] => [...new Set(names)].sort();

/** Decides what to do about `policy`'s rollout, given the names of the nodes that match it now. */
export function decideRollout(policy: PolicySnapshot, matchingNodes: readonly string[], memory?: PolicyMemory): RolloutDecision {
  const { generation, status } = policy;
  if (isFinalFor(status, generation)) {
    const phase = status?.rollout?.phase;
    if (!phase || !RERUN_PHASES.includes(phase)) return { action: 'none', reason: `generation ${generation} ended (${phase ?? 'final condition'})` };
    const shown = statusNodes(status);
    if (!shown) return { action: 'none', reason: `generation ${generation} ended; node list not comparable` };
    const want = sortedUnique(matchingNodes);
    if (shown.length === want.length && shown.every((n, i) => n === want[i])) return { action: 'none', reason: `generation ${generation} ended, nodes unchanged` };
    const key = `${generation}:${want.join(',')}`;
    if (memory?.rerunFor === key) return { action: 'none', reason: `generation ${generation} already re-run for these nodes` };
    const gained = want.filter((n) => !shown.includes(n));
    const lost = shown.filter((n) => !want.includes(n));
    return { action: 'rerun', key, reason: `matching nodes changed (gained: ${gained.join(',') || '-'}; lost: ${lost.join(',') || '-'})` };
  }
  const observed = status?.observedGeneration;
  if (observed !== undefined && observed < generation && isFinalFor(status, observed)) {
    const before = memory?.specs.find((s) => s.generation === observed);
    if (before && !startsNewRollout(before.spec, policy.spec)) {
      return { action: 'refreshStatus', fromGeneration: observed, reason: `generation ${observed} ended; generation ${generation} only changes steering fields` };
    }
  }
  if (memory?.signalled === generation) return { action: 'none', reason: `generation ${generation} already signalled`, awaitingRun: true };
  return { action: 'signal', reason: observed === undefined ? 'new policy' : `generation ${generation} (status shows ${observed})` };
}

/**
 * The manual gates approved by the annotation `nmstate.io/rollout-approved-wave`: an integer ≥ 1, or
 * undefined when absent or not such an integer.
 */
export function approvedWaveOf(annotations: Record<string, string> | undefined, key: string): number | undefined {
  const v = annotations?.[key]?.trim();
  if (!v || !/^[0-9]{1,9}$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 ? n : undefined;
}

/**
 * Whether to send a promote signal for `wave`: a new approval while the rollout has not ended (a
 * run started afterwards gets it in its input).
 */
export function shouldPromote(policy: PolicySnapshot, wave: number | undefined, memory?: PolicyMemory): boolean {
  if (wave === undefined || memory?.promoted === wave) return false;
  return !isFinalFor(policy.status, policy.generation);
}
