/**
 * nmstate states as the API carries them: a desired or current state (free-form, like upstream's
 * `desiredState`), the captured states of nmpolicy (NNCE `status.capturedStates`, and the node
 * activities' input and results), and how a node's nmstatectl reaches the network.
 */
import { z } from 'zod';
import { dateTime, doc, freeForm } from './schema.ts';

/** Schema of an nmstate network state (`nmstatectl show --json` output or a desired state): a JSON object. */
export const networkStateSchema = freeForm();
/** An nmstate network state. nmstate's own schema is not modelled (the API keeps it free-form, like upstream). */
export type NetworkState = z.infer<typeof networkStateSchema>;

/** Schema of the `metaInfo` of a capture (also upstream's `desiredStateMetaInfo`). */
export const captureMetaInfoSchema = z.object({
  version: doc(z.string(), 'Version of the capture format (nmstatectl writes "0").').optional(),
  time: doc(dateTime(), 'When the capture was taken.').optional(),
});

/** Schema of one captured state, as `nmstatectl policy --output-captured` writes it. */
export const capturedStateSchema = z.object({
  state: doc(freeForm(), 'The captured part of the node state.').optional(),
  metaInfo: doc(captureMetaInfoSchema, 'Version and time of the capture.').optional(),
});
/** One captured state. */
export type CapturedState = z.infer<typeof capturedStateSchema>;

/** Schema of the captured states by capture name (NNCE `status.capturedStates`). */
export const capturedStatesSchema = z.record(z.string(), capturedStateSchema);
/** Captured states by capture name. */
export type CapturedStates = z.infer<typeof capturedStatesSchema>;

/**
 * How a node's nmstatectl reaches the network:
 * - `networkmanager`: production nodes; `apply --no-commit --timeout`, then `commit` or `rollback`
 *   through a NetworkManager checkpoint;
 * - `kernel`: `-k`, no NetworkManager; no checkpoints, so knmstate snapshots and restores the state itself.
 */
export const nmstateModeSchema = z.enum(['kernel', 'networkmanager']);
/** A node's nmstate mode. */
export type NmstateMode = z.infer<typeof nmstateModeSchema>;
