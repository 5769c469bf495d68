/**
 * The crash-recovery decision, pure: what to do with the attempt a crash left in the journal
 * (its inflight record), from the operation, the phase it had reached, the node's mode and what
 * the agent found on the node. The agent (./agent.ts) observes, asks, and carries the answer out.
 */
import type { NmstateMode } from '../../crd/network-state.ts';
import type { InflightPhase } from './journal.ts';

/** The operation a journal record belongs to. */
export type JournalOp = 'apply' | 'revert';

/**
 * What the agent found before deciding. Only NetworkManager mode has checkpoints; the node's state
 * is compared with the record's snapshot (within the scope of what was being applied).
 */
export interface RecoveryObservation {
  /** A leftover NetworkManager checkpoint was found and rolled back (always `none` in kernel mode). */
  checkpoint: 'rolled-back' | 'none';
  /** The node, as found, equals the snapshot. */
  node: 'as-snapshot' | 'changed';
}

/**
 * - `finish`: the attempt had committed; complete its record (nothing on the node changes);
 * - `undo`: put the node back to the record's snapshot (for a revert, that is what it was doing):
 *   kernel mode and reverts apply the snapshot; a NetworkManager-mode apply is undone by its
 *   checkpoint (rolled back already), and the result is checked against the snapshot;
 * - `nothing`: the node already equals the snapshot (NetworkManager's own timeout rolled the change
 *   back, or nmstatectl never started): only the record is cleared.
 */
export type RecoveryDecision = 'finish' | 'undo' | 'nothing';

/** Decides what to do with a half-done attempt; see {@link RecoveryDecision}. */
export function decideRecovery(op: JournalOp, phase: InflightPhase, mode: NmstateMode, seen: RecoveryObservation): RecoveryDecision {
  if (op === 'revert') return 'undo';
  if (phase === 'committed') return 'finish';
  if (mode === 'kernel') return 'undo';
  // NetworkManager mode, an apply that had not recorded its commit.
  if (seen.checkpoint === 'rolled-back') return 'undo';
  if (seen.node === 'as-snapshot') return 'nothing';
  // No checkpoint left and the node changed: a commit that went through before the crash, or a
  // change that could not be rolled back (undo finds the difference and reports it).
  return phase === 'committing' ? 'finish' : 'undo';
}

/** How an `undo` puts the node back: by applying the snapshot, or (NetworkManager apply) only checking the checkpoint's rollback. */
export function undoBy(op: JournalOp, mode: NmstateMode): 'restore' | 'check' {
  return op === 'apply' && mode === 'networkmanager' ? 'check' : 'restore';
}
