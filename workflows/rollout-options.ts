/**
 * Engine settings of a rollout that are not part of the policy: attempts, back-off, timeouts and
 * status cadence. Defaults follow upstream where it has a value (5 attempts, 1 s → 30 s back-off).
 * Pure; the controller passes overrides from its environment, tests pass short ones.
 */

/** Settings of a rollout run. */
export interface RolloutOptions {
  /** Apply attempts per node (upstream NNCP_MAX_RETRIES). @default 5 */
  maxAttempts?: number;
  /** Back-off before the second attempt; doubles up to {@link maxRetryIntervalMs}. @default 1000 */
  retryIntervalMs?: number;
  /** @default 30000 */
  maxRetryIntervalMs?: number;
  /** How long an apply may wait for the node's agent to pick it up; then the node is Unreachable. @default 120000 */
  nodeStartTimeoutMs?: number;
  /** How long one apply attempt may take, probes and rollback included. @default 900000 */
  applyTimeoutMs?: number;
  /**
   * A silent agent is lost after this. The SDK sends an activity's heartbeats at most every 0.8 × this,
   * so the slack is a fifth of it: 60 s leaves 12 s for a starved node. @default 60000
   */
  heartbeatTimeoutMs?: number;
  /** Least time between two status writes of this policy. @default 500 */
  statusIntervalMs?: number;
  /** Continue-as-new once the history has this many events (Temporal suggests it near 10k anyway). @default 8000 */
  maxHistoryEvents?: number;
}

/** Every setting filled in. */
export type ResolvedRolloutOptions = Required<RolloutOptions>;

/** The defaults. */
export const DEFAULT_ROLLOUT_OPTIONS: ResolvedRolloutOptions = {
  maxAttempts: 5,
  retryIntervalMs: 1_000,
  maxRetryIntervalMs: 30_000,
  nodeStartTimeoutMs: 120_000,
  applyTimeoutMs: 900_000,
  heartbeatTimeoutMs: 60_000,
  statusIntervalMs: 500,
  maxHistoryEvents: 8_000,
};

/** Fills in the defaults; refuses values that cannot work, naming the field. */
export function resolveRolloutOptions(o: RolloutOptions = {}): ResolvedRolloutOptions {
  const r = { ...DEFAULT_ROLLOUT_OPTIONS };
  for (const [k, v] of Object.entries(o) as [keyof RolloutOptions, number | undefined][]) {
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < (k === 'statusIntervalMs' ? 0 : 1)) throw new RangeError(`options.${k}: must be a positive integer, got ${String(v)}`);
    r[k] = v;
  }
  return r;
}

/** Back-off before attempt `next` (2-based): retryIntervalMs · 2^(next-2), capped. */
export function retryDelayMs(o: ResolvedRolloutOptions, next: number): number {
  return Math.min(o.maxRetryIntervalMs, o.retryIntervalMs * 2 ** Math.max(0, next - 2));
}
