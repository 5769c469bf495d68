/**
 * Shapes of the nmstate driver. The states themselves are API (crd/network-state.ts) and are
 * re-exported here for the driver's users.
 */
export type { CapturedState, CapturedStates, NetworkState, NmstateMode } from '../../crd/network-state.ts';

/** Duration of one external command, for the nmstatectl/overhead split. */
export interface CommandTiming {
  /** e.g. `nmstatectl apply`, `ping`. */
  command: string;
  durationMs: number;
  exitCode: number;
}
