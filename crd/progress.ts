/**
 * The live view of a policy rollout: per wave and per node, what the rollout workflow answers to its
 * progress query and what the NNCP status, the NNCEs and the CLI are computed from. Types only.
 */
import type { NodeRolloutPhase, OnFailureMode, RolloutPhase } from './nncp.ts';
import type { WavePause } from './rollout.ts';

/** One node in the progress view. */
export interface NodeProgress {
  name: string;
  /** 1-based wave. */
  wave: number;
  phase: NodeRolloutPhase;
  /** Apply attempts made for this generation. */
  attempts: number;
  /** Full text of the last error (the NNCP status keeps a truncated copy). */
  lastError?: string;
  /** The failure type of the last error (`ProbeFailed`, `Unreachable`, …). */
  lastErrorType?: string;
  /** ISO times. */
  startTime?: string;
  completionTime?: string;
}

/** One wave in the progress view. */
export interface WaveProgress {
  /** 1-based. */
  number: number;
  /** Node names in rollout order. */
  nodes: string[];
  /** What follows the wave. */
  pause: WavePause;
  /** Most nodes of this wave in flight at once. */
  limit: number;
}

/** Node counts of a rollout, every phase present. */
export interface ProgressCounts {
  matched: number;
  pending: number;
  inProgress: number;
  succeeded: number;
  failed: number;
  aborted: number;
  rolledBack: number;
  skipped: number;
}

/** The result of {@link progressQuery}: everything the CLI and the NNCP status show. */
export interface RolloutProgress {
  policy: string;
  generation: number;
  phase: RolloutPhase;
  /** One-line summary of the latest event. */
  message: string;
  /** Set while paused (by signal or `spec.rollout.paused`). */
  paused: boolean;
  /** 1-based wave in progress; 0 before the first. */
  currentWave: number;
  totalWaves: number;
  /** Set while waiting between waves. */
  gate?: { afterWave: number; kind: 'timer' | 'manual'; until?: string };
  maxUnavailable: number;
  /** Failed nodes tolerated; one more stops the rollout. */
  failureBudget: number;
  onFailure: OnFailureMode;
  counts: ProgressCounts;
  waves: WaveProgress[];
  /** Every matching node, in rollout order. */
  nodes: NodeProgress[];
  /** Set once the rollout stopped early. */
  abort?: { mode: OnFailureMode; reason: string; requestedBy?: string; time: string };
  startTime: string;
  completionTime?: string;
}
