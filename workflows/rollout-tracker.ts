/**
 * The rollout's bookkeeping as a pure state machine: node phases, counts, the one-line message, and
 * what changed since the last status report. No Temporal, no clock (times are passed in), no I/O:
 * the workflow drives it, unit tests drive it directly, and its whole state is one
 * {@link RolloutProgress} value, so a continue-as-new carries it over as is.
 */
import type { NodeRolloutPhase, OnFailureMode, RolloutPhase } from '../crd/nncp.ts';
import type { NodeProgress, ProgressCounts, RolloutProgress, WaveProgress } from '../crd/progress.ts';
import type { PlannedWave, NodeInfo } from '../crd/rollout.ts';
import type { EnactmentUpdate, RolloutEvent } from '../activities/cluster/contract.ts';
import type { CapturedStates, NetworkState } from '../crd/network-state.ts';
import { reconcileAbortedMessage, reconcileFailedMessage } from '../crd/enactment-status.ts';

/** Phases in which a node holds a rollout slot. */
export const IN_FLIGHT_PHASES: readonly NodeRolloutPhase[] = ['Applying', 'Verifying', 'Retrying', 'RollingBack'];
/** Phases a node does not leave within one generation's rollout (a rollback aside). */
export const FINAL_PHASES: readonly NodeRolloutPhase[] = ['Succeeded', 'Failed', 'Aborted', 'RolledBack', 'Skipped'];
/** Rollout phases after which nothing happens any more. */
export const FINAL_ROLLOUT_PHASES: readonly RolloutPhase[] = ['Completed', 'Halted', 'RolledBack', 'Ignored'];

/** What a new tracker needs: the plan of a fresh rollout. */
export interface TrackerInit {
  policy: string;
  generation: number;
  waves: readonly PlannedWave<NodeInfo>[];
  maxUnavailable: number;
  failureBudget: number;
  onFailure: OnFailureMode;
  /** Matching nodes that are not Ready: Skipped, out of the target (upstream's NotReady rule). */
  skipped?: readonly string[];
  /** Nodes whose enactment already shows this generation Available: Succeeded without an apply. */
  alreadyApplied?: readonly string[];
  maxAttempts: number;
  startTime: string;
}

/** A report's worth of changes, taken with {@link RolloutTracker.takeReport}. */
export interface TrackerReport {
  progress: RolloutProgress;
  /** The nodes that changed since the last report, in rollout order. */
  changedNodes: NodeProgress[];
  enactments: EnactmentUpdate[];
  events: RolloutEvent[];
}

/** Rendered state and captures of a node, kept for its enactment. */
export interface NodeArtifacts {
  renderedState?: NetworkState;
  capturedStates?: CapturedStates;
}

/** A deep copy of plain JSON (workflow sandboxes have no structuredClone). */
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const zeroCounts = (): ProgressCounts => ({ matched: 0, pending: 0, inProgress: 0, succeeded: 0, failed: 0, aborted: 0, rolledBack: 0, skipped: 0 });

/** Counts nodes by phase. */
export function countNodes(nodes: readonly NodeProgress[]): ProgressCounts {
  const c = zeroCounts();
  for (const n of nodes) {
    c.matched++;
    switch (n.phase) {
      case 'Pending':
        c.pending++;
        break;
      case 'Succeeded':
        c.succeeded++;
        break;
      case 'Failed':
        c.failed++;
        break;
      case 'Aborted':
        c.aborted++;
        break;
      case 'RolledBack':
        c.rolledBack++;
        break;
      case 'Skipped':
        c.skipped++;
        break;
      default:
        c.inProgress++;
    }
  }
  return c;
}

/** The rollout's state; every mutation marks what the next status report must carry. */
export class RolloutTracker {
  #p: RolloutProgress;
  #index = new Map<string, NodeProgress>();
  #artifacts = new Map<string, NodeArtifacts>();
  #changed = new Set<string>();
  #events: RolloutEvent[] = [];
  #dirty = true;
  readonly maxAttempts: number;

  private constructor(progress: RolloutProgress, maxAttempts: number) {
    this.#p = progress;
    this.maxAttempts = maxAttempts;
    for (const n of progress.nodes) this.#index.set(n.name, n);
  }

  /** A fresh rollout: every targeted node Pending (or Succeeded when already applied), not-Ready ones Skipped. */
  static start(init: TrackerInit): RolloutTracker {
    const done = new Set(init.alreadyApplied ?? []);
    const nodes: NodeProgress[] = [];
    const waves: WaveProgress[] = init.waves.map((w) => ({ number: w.number, nodes: w.nodes.map((n) => n.name), pause: w.pause, limit: Math.min(init.maxUnavailable, w.nodes.length) }));
    for (const w of init.waves)
      for (const n of w.nodes) nodes.push({ name: n.name, wave: w.number, phase: done.has(n.name) ? 'Succeeded' : 'Pending', attempts: 0 });
    for (const name of init.skipped ?? []) nodes.push({ name, wave: 0, phase: 'Skipped', attempts: 0 });
    const t = new RolloutTracker(
      {
        policy: init.policy,
        generation: init.generation,
        phase: 'Pending',
        message: 'Rollout planned',
        paused: false,
        currentWave: 0,
        totalWaves: waves.length,
        maxUnavailable: init.maxUnavailable,
        failureBudget: init.failureBudget,
        onFailure: init.onFailure,
        counts: countNodes(nodes),
        waves,
        nodes,
        startTime: init.startTime,
      },
      init.maxAttempts,
    );
    for (const n of nodes) t.#changed.add(n.name);
    return t;
  }

  /** Resumes from a progress value carried over a continue-as-new. */
  static restore(progress: RolloutProgress, maxAttempts: number): RolloutTracker {
    return new RolloutTracker(clone(progress), maxAttempts);
  }

  /** A copy of the current progress (safe to hand out). */
  get progress(): RolloutProgress {
    return clone(this.#p);
  }

  get phase(): RolloutPhase {
    return this.#p.phase;
  }

  get counts(): ProgressCounts {
    return { ...this.#p.counts };
  }

  get waves(): readonly WaveProgress[] {
    return this.#p.waves;
  }

  /** Whether a status report is due. */
  get dirty(): boolean {
    return this.#dirty;
  }

  node(name: string): NodeProgress {
    const n = this.#index.get(name);
    if (!n) throw new RangeError(`node ${name} is not part of this rollout`);
    return n;
  }

  /** Nodes in a phase, in rollout order. */
  nodesIn(...phases: NodeRolloutPhase[]): string[] {
    return this.#p.nodes.filter((n) => phases.includes(n.phase)).map((n) => n.name);
  }

  /** Nodes holding a slot. */
  get inFlight(): number {
    return this.#p.nodes.filter((n) => IN_FLIGHT_PHASES.includes(n.phase)).length;
  }

  /** Failed nodes exceed the budget: stop starting nodes. */
  get budgetSpent(): boolean {
    return this.#p.counts.failed > this.#p.failureBudget;
  }

  /** The rollout reached a final phase. */
  get finished(): boolean {
    return FINAL_ROLLOUT_PHASES.includes(this.#p.phase);
  }

  #touch(name?: string): void {
    this.#dirty = true;
    this.#p.counts = countNodes(this.#p.nodes);
    if (name === undefined) return;
    this.#changed.add(name);
    // While nodes move, the message follows the counts.
    if (this.#p.phase === 'Progressing') this.#p.message = progressLine(this.#p);
  }

  /** Sets the rollout phase and message. */
  setPhase(phase: RolloutPhase, message: string, now?: string): void {
    this.#p.phase = phase;
    this.#p.message = message;
    if (FINAL_ROLLOUT_PHASES.includes(phase) && now !== undefined) this.#p.completionTime = now;
    this.#touch();
  }

  /** The policy generation the status shows (advances on a steering-only change). */
  setGeneration(generation: number): void {
    if (this.#p.generation === generation) return;
    this.#p.generation = generation;
    // Every enactment shows the generation it refers to: all are rewritten.
    for (const n of this.#p.nodes) this.#changed.add(n.name);
    this.#touch();
  }

  setMessage(message: string): void {
    this.#p.message = message;
    this.#touch();
  }

  setPaused(paused: boolean): void {
    if (this.#p.paused === paused) return;
    this.#p.paused = paused;
    this.#touch();
  }

  setWave(number: number): void {
    this.#p.currentWave = number;
    delete this.#p.gate;
    this.#touch();
  }

  setGate(gate: RolloutProgress['gate']): void {
    if (gate) this.#p.gate = gate;
    else delete this.#p.gate;
    this.#touch();
  }

  setAbort(abort: NonNullable<RolloutProgress['abort']>): void {
    this.#p.abort = abort;
    this.#touch();
  }

  /** An apply attempt starts on a node. */
  attemptStarted(name: string, now: string): void {
    const n = this.node(name);
    n.phase = 'Applying';
    n.attempts++;
    n.startTime ??= now;
    this.#touch(name);
  }

  /** An attempt failed and another follows after a back-off. */
  attemptFailed(name: string, error: string, type: string, artifacts?: NodeArtifacts): void {
    const n = this.node(name);
    n.phase = 'Retrying';
    n.lastError = error;
    n.lastErrorType = type;
    this.#keep(name, artifacts);
    this.#touch(name);
  }

  /** The node is configured. */
  succeeded(name: string, now: string, artifacts?: NodeArtifacts): void {
    const n = this.node(name);
    n.phase = 'Succeeded';
    n.completionTime = now;
    delete n.lastError;
    delete n.lastErrorType;
    this.#keep(name, artifacts);
    this.#touch(name);
  }

  /** The node failed for good (it put itself back where it could). */
  failed(name: string, now: string, error: string, type: string, artifacts?: NodeArtifacts): void {
    const n = this.node(name);
    n.phase = 'Failed';
    n.completionTime = now;
    n.lastError = error;
    n.lastErrorType = type;
    this.#keep(name, artifacts);
    this.#events.push({ reason: 'ReconcileFailed', node: name, message: reconcileFailedMessage(name, this.#p.policy, n.attempts) });
    this.#touch(name);
  }

  /** Every node not started yet ends Aborted; returns them. */
  abortPending(now: string): string[] {
    const names = this.nodesIn('Pending');
    for (const name of names) {
      const n = this.node(name);
      n.phase = 'Aborted';
      n.completionTime = now;
      this.#events.push({ reason: 'ReconcileFailed', node: name, message: reconcileAbortedMessage(name, this.#p.policy) });
      this.#touch(name);
    }
    return names;
  }

  /** A configured node is being reverted. */
  revertStarted(name: string): void {
    this.node(name).phase = 'RollingBack';
    this.#touch(name);
  }

  /** A configured node was put back to its state before the rollout. */
  reverted(name: string, now: string): void {
    const n = this.node(name);
    n.phase = 'RolledBack';
    n.completionTime = now;
    this.#touch(name);
  }

  /** Reverting a node failed: it stays configured (Succeeded) with the error shown. */
  revertFailed(name: string, now: string, error: string, type: string): void {
    const n = this.node(name);
    n.phase = 'Succeeded';
    n.completionTime = now;
    n.lastError = `revert failed: ${error}`;
    n.lastErrorType = type;
    this.#touch(name);
  }

  #keep(name: string, artifacts?: NodeArtifacts): void {
    if (!artifacts) return;
    const a = this.#artifacts.get(name) ?? {};
    if (artifacts.renderedState) a.renderedState = artifacts.renderedState;
    if (artifacts.capturedStates) a.capturedStates = artifacts.capturedStates;
    this.#artifacts.set(name, a);
  }

  /** Captures resolved by an earlier attempt on a node (reused by the next, as upstream does). */
  capturedStates(name: string): CapturedStates | undefined {
    return this.#artifacts.get(name)?.capturedStates;
  }

  /** Everything changed since the last call; clears the dirty mark. */
  takeReport(): TrackerReport {
    const enactments: EnactmentUpdate[] = [];
    for (const name of this.#changed) {
      const n = this.node(name);
      if (n.phase === 'Skipped') continue;
      const a = this.#artifacts.get(name);
      const u: EnactmentUpdate = { node: name, phase: n.phase, attempts: n.attempts, maxAttempts: this.maxAttempts };
      if (n.lastError !== undefined) u.error = n.lastError;
      if (a?.renderedState) u.renderedState = a.renderedState;
      if (a?.capturedStates) u.capturedStates = a.capturedStates;
      enactments.push(u);
    }
    const progress = this.progress;
    const report: TrackerReport = { progress, changedNodes: progress.nodes.filter((n) => this.#changed.has(n.name)), enactments, events: this.#events };
    this.#changed.clear();
    this.#events = [];
    this.#dirty = false;
    return report;
  }
}

/** Upstream-like summary of where a rollout stands, for the message and the Temporal UI. */
export function progressLine(p: Pick<RolloutProgress, 'counts' | 'currentWave' | 'totalWaves'>): string {
  const c = p.counts;
  const target = c.matched - c.skipped;
  const parts = [`${c.succeeded}/${target} nodes configured`];
  if (c.inProgress) parts.push(`${c.inProgress} in progress`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.aborted) parts.push(`${c.aborted} aborted`);
  if (c.rolledBack) parts.push(`${c.rolledBack} rolled back`);
  if (c.skipped) parts.push(`${c.skipped} skipped (not Ready)`);
  const wave = p.totalWaves > 1 && p.currentWave > 0 ? `wave ${p.currentWave}/${p.totalWaves}: ` : '';
  return wave + parts.join(', ');
}
