/**
 * The NetworkManager checkpoint timeout of one apply: how long NetworkManager waits for the agent's
 * commit before it rolls the change back by itself (pure).
 */

/** Default of the agent's `checkpointMarginSeconds`. */
export const DEFAULT_CHECKPOINT_MARGIN_SECONDS = 30;

/**
 * The NetworkManager checkpoint timeout of one apply (`apply --no-commit --timeout T`), in seconds:
 * T = ceil(probe timeout) + margin, the probe timeout being the longest of the selected probes'. nmstate
 * re-arms the checkpoint timer before every apply and verify step and once more when the apply
 * returns, so T must cover (a) the longest single apply step under load and (b) everything between
 * the apply's return and the commit: the probes (they run in parallel, each for at most its timeout)
 * and the commit itself. The margin covers (a) and the commit: whole applies took 5-12 s with 50-100
 * in parallel on 2 cores, the commit 0.01-1.5 s; 30 s leaves more than twice that. Upstream uses a
 * fixed 480 s (2 × (120 + 120) s of sequential probes); with the default 120 s probe timeout
 * knmstate's T is 150 s, so a node whose agent died before committing is back to its old state 150 s
 * after the apply at the latest.
 */
export function checkpointTimeoutSeconds(probeTimeoutMs: number, marginSeconds = DEFAULT_CHECKPOINT_MARGIN_SECONDS): number {
  if (!(probeTimeoutMs >= 0) || !Number.isFinite(probeTimeoutMs)) throw new RangeError(`probe timeout must be a non-negative number of milliseconds, got ${probeTimeoutMs}`);
  if (!Number.isInteger(marginSeconds) || marginSeconds < 1) throw new RangeError(`checkpointMarginSeconds must be a positive integer, got ${marginSeconds}`);
  return Math.ceil(probeTimeoutMs / 1000) + marginSeconds;
}
