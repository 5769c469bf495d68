/**
 * A realistic NNCP status for N nodes, to measure its size and prove it fits the apiserver's object
 * limit. Typical: short node names, Succeeded, no error. Worst case: 63-character names, every node
 * Failed with a lastError of the maximum length.
 */
import { NODE_ERROR_MAX_LENGTH, type NncpStatus } from '../../crd/index.ts';

/** Builds the status of a finished rollout over `count` nodes in 3 waves. */
export function bigStatus(count: number, opts: { worstCase?: boolean } = {}): NncpStatus {
  const t0 = Date.parse('2026-11-29T10:00:00Z');
  const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  const error = `error reconciling NodeNetworkConfigurationPolicy at desired state apply: "${'x'.repeat(NODE_ERROR_MAX_LENGTH)}"`.slice(0, NODE_ERROR_MAX_LENGTH);
  const nodes = Array.from({ length: count }, (_, i) => {
    const name = opts.worstCase ? `node-${String(i).padStart(5, '0')}-${'r'.repeat(52)}` : `worker-${String(i + 1).padStart(4, '0')}`;
    const wave = i === 0 ? 1 : i <= Math.ceil(count / 10) ? 2 : 3;
    return {
      name,
      wave,
      phase: opts.worstCase ? ('Failed' as const) : ('Succeeded' as const),
      attempts: opts.worstCase ? 5 : 1,
      ...(opts.worstCase ? { lastError: error } : {}),
      startTime: iso(t0 + i * 1000),
      completionTime: iso(t0 + i * 1000 + 4000),
    };
  });
  const failed = opts.worstCase ? count : 0;
  return {
    observedGeneration: 3,
    conditions: [
      {
        type: opts.worstCase ? 'Degraded' : 'Available',
        status: 'True',
        reason: opts.worstCase ? 'FailedToConfigure' : 'SuccessfullyConfigured',
        message: opts.worstCase ? `${failed}/${count} nodes failed to configure` : `${count}/${count} nodes successfully configured`,
        lastHeartbeatTime: iso(t0),
        lastTransitionTime: iso(t0),
      },
    ],
    unavailableNodeCountMap: {},
    rollout: {
      phase: opts.worstCase ? 'Halted' : 'Completed',
      workflowId: 'nncp/br1-eth1/3',
      currentWave: 3,
      totalWaves: 3,
      counts: { matched: count, pending: 0, inProgress: 0, succeeded: count - failed, failed, aborted: 0, rolledBack: 0, skipped: 0 },
      startTime: iso(t0),
      completionTime: iso(t0 + count * 1000),
      nodes,
    },
  };
}
