/**
 * Builds a RolloutProgress from node phases, as the rollout workflow would report it: counts derived
 * from the phases, one wave. For the status unit tests and the cluster activity tests.
 */
import type { NodeRolloutPhase, RolloutPhase } from '../../crd/nncp.ts';
import type { NodeProgress, RolloutProgress } from '../../crd/progress.ts';
import { countNodes, IN_FLIGHT_PHASES } from '../../workflows/rollout-tracker.ts';

/** A progress of `policy` whose nodes `<prefix>-1…` have the given phases. */
export function progressOf(
  phases: readonly NodeRolloutPhase[],
  opts: { policy?: string; generation?: number; phase?: RolloutPhase; nodeNames?: readonly string[]; errors?: Record<string, string>; abort?: RolloutProgress['abort'] } = {},
): RolloutProgress {
  const names = opts.nodeNames ?? phases.map((_, i) => `node-${i + 1}`);
  const nodes: NodeProgress[] = phases.map((phase, i) => ({
    name: names[i]!,
    wave: 1,
    phase,
    attempts: phase === 'Pending' || phase === 'Aborted' || phase === 'Skipped' ? 0 : 1,
    ...(opts.errors?.[names[i]!] ? { lastError: opts.errors[names[i]!] } : {}),
  }));
  const done = phases.every((p) => p !== 'Pending' && !IN_FLIGHT_PHASES.includes(p));
  return {
    policy: opts.policy ?? 'p',
    generation: opts.generation ?? 1,
    phase: opts.phase ?? (phases.length === 0 ? 'Ignored' : done ? 'Completed' : 'Progressing'),
    message: '',
    paused: false,
    currentWave: 1,
    totalWaves: 1,
    maxUnavailable: 1,
    failureBudget: 0,
    onFailure: 'halt',
    counts: countNodes(nodes),
    waves: [{ number: 1, nodes: [...names], pause: { kind: 'none' }, limit: 1 }],
    nodes,
    ...(opts.abort ? { abort: opts.abort } : {}),
    startTime: '2026-11-30T04:00:00.000Z',
  };
}
