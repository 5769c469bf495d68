/** Progress views for the CLI's unit tests: a rollout waiting at its manual gate, and one that halted. */
import type { RolloutProgress } from '../../crd/progress.ts';

/** Three waves: the canary succeeded, the rollout waits at the manual gate after wave 1. */
export function waitingProgress(): RolloutProgress {
  return {
    policy: 'br-canary',
    generation: 3,
    phase: 'Waiting',
    message: 'Wave 1 done; waiting for promotion (kubectl nmstate promote br-canary)',
    paused: false,
    currentWave: 1,
    totalWaves: 2,
    gate: { afterWave: 1, kind: 'manual' },
    maxUnavailable: 2,
    failureBudget: 1,
    onFailure: 'halt',
    counts: { matched: 4, pending: 3, inProgress: 0, succeeded: 1, failed: 0, aborted: 0, rolledBack: 0, skipped: 0 },
    waves: [
      { number: 1, nodes: ['node-a'], limit: 1, pause: { kind: 'manual' } },
      { number: 2, nodes: ['node-b', 'node-c', 'node-d'], limit: 2, pause: { kind: 'none' } },
    ],
    nodes: [
      { name: 'node-a', wave: 1, phase: 'Succeeded', attempts: 1, startTime: '2026-11-30T04:00:00.000Z', completionTime: '2026-11-30T04:00:02.500Z' },
      { name: 'node-b', wave: 2, phase: 'Pending', attempts: 0 },
      { name: 'node-c', wave: 2, phase: 'Pending', attempts: 0 },
      { name: 'node-d', wave: 2, phase: 'Pending', attempts: 0 },
    ],
    startTime: '2026-11-30T04:00:00.000Z',
  };
}

/** One wave of three: a node failed its probes twice, the budget was spent, the rest aborted. */
export function haltedProgress(): RolloutProgress {
  return {
    policy: 'br-bad',
    generation: 1,
    phase: 'Halted',
    message: 'Halted: 1 failed, 2 aborted',
    paused: false,
    currentWave: 1,
    totalWaves: 1,
    maxUnavailable: 1,
    failureBudget: 0,
    onFailure: 'halt',
    counts: { matched: 3, pending: 0, inProgress: 0, succeeded: 0, failed: 1, aborted: 2, rolledBack: 0, skipped: 0 },
    waves: [{ number: 1, nodes: ['node-a', 'node-b', 'node-c'], limit: 1, pause: { kind: 'none' } }],
    nodes: [
      { name: 'node-a', wave: 1, phase: 'Failed', attempts: 2, lastError: "failed runnig probe 'ping' with after network reconfiguration\nmore detail", lastErrorType: 'ProbeFailed', startTime: '2026-11-30T04:00:00.000Z', completionTime: '2026-11-30T04:00:09.000Z' },
      { name: 'node-b', wave: 1, phase: 'Aborted', attempts: 0 },
      { name: 'node-c', wave: 1, phase: 'Aborted', attempts: 0 },
    ],
    abort: { mode: 'halt', reason: 'failure budget spent: 1 failed, 0 tolerated', time: '2026-11-30T04:00:09.000Z' },
    startTime: '2026-11-30T04:00:00.000Z',
    completionTime: '2026-11-30T04:00:09.100Z',
  };
}

/** A fixed "now" for ages: 10 s after the fixtures started. */
export const NOW = Date.parse('2026-11-30T04:00:10.000Z');
