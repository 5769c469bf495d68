/**
 * Shapes shared by the nmstate driver and the node activities. nmstate's own schema is not modelled
 * (the API keeps desiredState free-form, like upstream); a state is a plain JSON object.
 */

/**
 * How nmstatectl reaches the network:
 * - `networkmanager`: production nodes; `apply --no-commit --timeout`, then `commit` or `rollback`
 *   through a NetworkManager checkpoint;
 * - `kernel`: `-k`, no NetworkManager (the simulated nodes here); no checkpoints, so knmstate
 *   snapshots and restores the state itself.
 */
export type NmstateMode = 'kernel' | 'networkmanager';

/** An nmstate network state (`nmstatectl show --json` output or a desired state). */
export type NetworkState = Record<string, unknown>;

/** One captured state as `nmstatectl policy --output-captured` writes it (and NNCE.status.capturedStates holds it). */
export interface CapturedState {
  state: NetworkState;
  metaInfo: { time: string; version: string };
}

/** Captures by name. */
export type CapturedStates = Record<string, CapturedState>;

/** Duration of one external command, for the nmstatectl/overhead split. */
export interface CommandTiming {
  /** e.g. `nmstatectl apply`, `ping`. */
  command: string;
  durationMs: number;
  exitCode: number;
}
