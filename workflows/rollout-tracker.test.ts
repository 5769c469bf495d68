import { describe, expect, it } from '@jest/globals';
import { planRollout } from '../crd/rollout.ts';
import type { NncpSpec } from '../crd/nncp.ts';
import { countNodes, progressLine, RolloutTracker } from './rollout-tracker.ts';
import { resolveRolloutOptions, retryDelayMs } from './rollout-options.ts';

const T0 = '2026-01-01T00:00:00.000Z';
const nodes = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `n${i + 1}`, labels: { zone: i % 2 ? 'b' : 'a' } }));

function tracker(spec: NncpSpec, n: number, extra: { skipped?: string[]; alreadyApplied?: string[] } = {}): RolloutTracker {
  const p = planRollout(spec, nodes(n));
  return RolloutTracker.start({ policy: 'p', generation: 3, waves: p.waves, maxUnavailable: p.maxUnavailable, failureBudget: p.failureBudget, onFailure: p.onFailure, maxAttempts: 5, startTime: T0, ...extra });
}

describe('RolloutTracker', () => {
  it('given a plan with waves, should list every node Pending with its wave and a per-wave limit', () => {
    const t = tracker({ desiredState: {}, maxUnavailable: 2, rollout: { waves: [{ nodes: 1, pause: 'manual' }] } }, 5);
    const p = t.progress;
    expect(p.waves.map((w) => [w.number, w.nodes.length, w.limit, w.pause.kind])).toEqual([
      [1, 1, 1, 'manual'],
      [2, 4, 2, 'none'],
    ]);
    expect(p.nodes.every((n) => n.phase === 'Pending')).toBe(true);
    expect(p.counts).toEqual({ matched: 5, pending: 5, inProgress: 0, succeeded: 0, failed: 0, aborted: 0, rolledBack: 0, skipped: 0 });
  });

  it('given not-Ready and already-applied nodes, should mark them Skipped and Succeeded', () => {
    const t = tracker({ desiredState: {} }, 3, { skipped: ['x'], alreadyApplied: ['n2'] });
    expect(t.node('x').phase).toBe('Skipped');
    expect(t.node('n2').phase).toBe('Succeeded');
    expect(t.counts.matched).toBe(4);
  });

  it('given attempts, should count them, hold the slot while retrying and keep the last error', () => {
    const t = tracker({ desiredState: {} }, 2);
    t.attemptStarted('n1', T0);
    expect(t.inFlight).toBe(1);
    t.attemptFailed('n1', 'probe ping failed', 'ProbeFailed', { capturedStates: { c: { state: {} } } });
    expect(t.inFlight).toBe(1);
    expect(t.node('n1')).toMatchObject({ phase: 'Retrying', attempts: 1, lastError: 'probe ping failed', lastErrorType: 'ProbeFailed' });
    expect(t.capturedStates('n1')).toEqual({ c: { state: {} } });
    t.attemptStarted('n1', T0);
    t.succeeded('n1', T0);
    expect(t.node('n1')).toMatchObject({ phase: 'Succeeded', attempts: 2 });
    expect(t.node('n1').lastError).toBeUndefined();
    expect(t.inFlight).toBe(0);
  });

  it.each([
    // failureBudget from maxUnavailable 50% of 4 = 2 → tolerates 1 failure
    [1, false],
    [2, true],
  ])('given %i failed nodes with the default budget of 1, should report budgetSpent=%s', (failed, spent) => {
    const t = tracker({ desiredState: {} }, 4);
    for (let i = 1; i <= failed; i++) t.failed(`n${i}`, T0, 'boom', 'NmstateFailed');
    expect(t.budgetSpent).toBe(spent);
  });

  it('given an abort, should mark only the not-started nodes Aborted with an upstream event each', () => {
    const t = tracker({ desiredState: {} }, 3);
    t.attemptStarted('n1', T0);
    t.takeReport();
    expect(t.abortPending(T0)).toEqual(['n2', 'n3']);
    const r = t.takeReport();
    expect(r.enactments.map((e) => [e.node, e.phase])).toEqual([
      ['n2', 'Aborted'],
      ['n3', 'Aborted'],
    ]);
    expect(r.events.map((e) => e.message)).toEqual(['reconciliation of enactment "n2.p" has aborted', 'reconciliation of enactment "n3.p" has aborted']);
  });

  it('given reports, should carry only what changed since the last one, and no Skipped enactment', () => {
    const t = tracker({ desiredState: {} }, 2, { skipped: ['x'] });
    expect(t.takeReport().enactments.map((e) => e.node)).toEqual(['n1', 'n2']);
    expect(t.dirty).toBe(false);
    t.attemptStarted('n2', T0);
    expect(t.dirty).toBe(true);
    const r = t.takeReport();
    expect(r.enactments).toEqual([{ node: 'n2', phase: 'Applying', attempts: 1, maxAttempts: 5 }]);
  });

  it('given a revert, should go RollingBack then RolledBack, or stay Succeeded with the error when it fails', () => {
    const t = tracker({ desiredState: {} }, 2);
    t.succeeded('n1', T0);
    t.succeeded('n2', T0);
    t.revertStarted('n1');
    expect(t.node('n1').phase).toBe('RollingBack');
    t.reverted('n1', T0);
    t.revertStarted('n2');
    t.revertFailed('n2', T0, 'no record', 'RollbackFailed');
    expect([t.node('n1').phase, t.node('n2').phase, t.node('n2').lastError]).toEqual(['RolledBack', 'Succeeded', 'revert failed: no record']);
  });

  it('given a restore of carried progress, should continue from the same state', () => {
    const t = tracker({ desiredState: {} }, 3);
    t.succeeded('n1', T0);
    t.setWave(1);
    const r = RolloutTracker.restore(t.progress, 5);
    expect(r.progress).toEqual(t.progress);
    expect(r.nodesIn('Pending')).toEqual(['n2', 'n3']);
  });

  it('given an unknown node, should throw a RangeError naming it', () => {
    expect(() => tracker({ desiredState: {} }, 1).node('zz')).toThrow(/zz/);
  });
});

describe('countNodes and progressLine', () => {
  it('given mixed phases, should count each and summarise like the status message', () => {
    const c = countNodes([
      { name: 'a', wave: 1, phase: 'Succeeded', attempts: 1 },
      { name: 'b', wave: 1, phase: 'Retrying', attempts: 2 },
      { name: 'c', wave: 2, phase: 'Failed', attempts: 5 },
      { name: 'd', wave: 0, phase: 'Skipped', attempts: 0 },
    ]);
    expect(c).toEqual({ matched: 4, pending: 0, inProgress: 1, succeeded: 1, failed: 1, aborted: 0, rolledBack: 0, skipped: 1 });
    expect(progressLine({ counts: c, currentWave: 2, totalWaves: 2 })).toBe('wave 2/2: 1/3 nodes configured, 1 in progress, 1 failed, 1 skipped (not Ready)');
  });
});

describe('rollout options', () => {
  it('given nothing, should use upstream defaults', () => {
    expect(resolveRolloutOptions()).toMatchObject({ maxAttempts: 5, retryIntervalMs: 1000, maxRetryIntervalMs: 30000 });
  });

  it.each([
    [2, 1000],
    [3, 2000],
    [5, 8000],
    [10, 30000],
  ])('given attempt %i next, should back off %i ms', (next, ms) => {
    expect(retryDelayMs(resolveRolloutOptions(), next)).toBe(ms);
  });

  it.each([{ maxAttempts: 0 }, { applyTimeoutMs: 1.5 }, { nodeStartTimeoutMs: -1 }])('given %j, should refuse it naming the field', (o) => {
    expect(() => resolveRolloutOptions(o)).toThrow(new RegExp(`options\\.${Object.keys(o)[0]}`));
  });
});
