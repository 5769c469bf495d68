import { describe, expect, it } from '@jest/globals';
import {
  canMergeNodes,
  mergeNodeEntries,
  policyConditionChanges,
  policyNodeCounts,
  policyStatus,
  rolloutStatus,
  setPolicyFailedToConfigure,
  setPolicyNotMatching,
  setPolicyProgressing,
  setPolicyStatusUnknown,
  setPolicySuccess,
  type NncpConditionChange,
  type PolicyNodeCounts,
} from './policy-status.ts';
import { trueCondition } from './conditions.ts';
import { NODE_ERROR_MAX_LENGTH, nncpStatus, type NodeRolloutPhase, type RolloutPhase } from './nncp.ts';
import { progressOf } from '../test/cluster/progress-fixture.ts';

const NOW = '2026-11-30T04:00:00Z';
const cell = (changes: NncpConditionChange[], type: string): string => {
  const c = changes.find((x) => x.type === type)!;
  return `${c.status}/${c.reason}`;
};

describe('NNCP condition setters (upstream matrix)', () => {
  it.each([
    ['progressing', setPolicyProgressing('m'), ['Unknown/ConfigurationProgressing', 'Unknown/ConfigurationProgressing', 'True/ConfigurationProgressing', 'False/ConfigurationProgressing'], 'Progressing'],
    ['success', setPolicySuccess('m'), ['True/SuccessfullyConfigured', 'False/SuccessfullyConfigured', 'False/SuccessfullyConfigured', 'False/SuccessfullyConfigured'], 'Available'],
    ['failed to configure', setPolicyFailedToConfigure('m'), ['False/FailedToConfigure', 'True/FailedToConfigure', 'False/ConfigurationProgressing', 'False/FailedToConfigure'], 'Degraded'],
    ['not matching', setPolicyNotMatching('m'), ['False/NoMatchingNode', 'False/NoMatchingNode', 'False/NoMatchingNode', 'True/NoMatchingNode'], 'Ignored'],
    ['reset', setPolicyStatusUnknown(), ['Unknown/', 'Unknown/', 'Unknown/', 'Unknown/'], undefined],
  ])('given the %s setter, should set Available, Degraded, Progressing, Ignored as upstream and the message on the True one', (_name, changes, cells, withMessage) => {
    expect(['Available', 'Degraded', 'Progressing', 'Ignored'].map((t) => cell(changes, t))).toEqual(cells);
    for (const c of changes) expect(c.message).toBe(c.type === withMessage ? 'm' : '');
  });
});

const counts = (c: Partial<PolicyNodeCounts>): PolicyNodeCounts => ({ matching: 0, notReady: 0, available: 0, failed: 0, aborted: 0, pending: 0, rolledBack: 0, stopped: false, ...c });

describe('NNCP conditions from node counts (upstream decision order and messages)', () => {
  it.each<[Partial<PolicyNodeCounts>, string, string, string]>([
    [{}, 'Ignored', 'NoMatchingNode', 'Policy does not match any node'],
    [{ matching: 5 }, 'Progressing', 'ConfigurationProgressing', 'Policy is progressing 0/5 nodes finished'],
    [{ matching: 5, available: 2, pending: 1 }, 'Progressing', 'ConfigurationProgressing', 'Policy is progressing 2/5 nodes finished'],
    [{ matching: 3, available: 3 }, 'Available', 'SuccessfullyConfigured', '3/3 nodes successfully configured'],
    [{ matching: 3, available: 2, failed: 1 }, 'Degraded', 'FailedToConfigure', '1/3 nodes failed to configure'],
    [{ matching: 5, available: 1, failed: 1 }, 'Degraded', 'FailedToConfigure', '1/5 nodes failed to configure'],
    [{ matching: 5, failed: 2, aborted: 3 }, 'Degraded', 'FailedToConfigure', '2/5 nodes failed to configure, 3 nodes aborted configuration'],
    [{ matching: 4, notReady: 1, failed: 1 }, 'Degraded', 'FailedToConfigure', '1/4 nodes failed to configure'],
    // upstream's worked examples (conditions_test.go)
    [{ matching: 4, notReady: 1, available: 3 }, 'Available', 'SuccessfullyConfigured', '3/4 nodes successfully configured, 1 nodes ignored due to NotReady state'],
    [{ matching: 4, notReady: 1, available: 3, pending: 1 }, 'Progressing', 'ConfigurationProgressing', 'Policy is progressing 3/3 nodes finished, 1 pending, 1 nodes ignored due to NotReady state'],
    [{ matching: 4, notReady: 1, available: 1 }, 'Progressing', 'ConfigurationProgressing', 'Policy is progressing 1/3 nodes finished, 1 nodes ignored due to NotReady state'],
    // upstream quirk kept: only NotReady nodes reads Available
    [{ matching: 2, notReady: 2 }, 'Available', 'SuccessfullyConfigured', '0/2 nodes successfully configured, 2 nodes ignored due to NotReady state'],
    // knmstate: a stopped rollout never reads Available
    [{ matching: 3, available: 3, stopped: true }, 'Degraded', 'FailedToConfigure', '0/3 nodes failed to configure'],
    [{ matching: 3, rolledBack: 3, stopped: true }, 'Degraded', 'FailedToConfigure', '0/3 nodes failed to configure, 3 nodes rolled back'],
    [{ matching: 3, failed: 1, rolledBack: 2, stopped: true }, 'Degraded', 'FailedToConfigure', '1/3 nodes failed to configure, 2 nodes rolled back'],
  ])('given %j, should be %s / %s with message %p', (c, type, reason, message) => {
    const changes = policyConditionChanges(counts(c));
    const t = changes.filter((x) => x.status === 'True');
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ type, reason, message });
  });
});

describe('NNCP conditions from a rollout progress (knmstate phase mapping)', () => {
  it.each<[string, NodeRolloutPhase[], RolloutPhase | undefined, boolean, string, string]>([
    ['a progressing rollout', ['Succeeded', 'Succeeded', 'Applying', 'Pending', 'Pending'], undefined, false, 'Progressing', 'Policy is progressing 2/5 nodes finished'],
    ['a rollout waiting between waves', ['Succeeded', 'Pending'], 'Waiting', false, 'Progressing', 'Policy is progressing 1/2 nodes finished'],
    ['a paused rollout', ['Succeeded', 'Pending'], 'Paused', false, 'Progressing', 'Policy is progressing 1/2 nodes finished'],
    ['a retrying node', ['Retrying', 'Succeeded'], undefined, false, 'Progressing', 'Policy is progressing 1/2 nodes finished'],
    ['a completed rollout', ['Succeeded', 'Succeeded', 'Succeeded'], 'Completed', false, 'Available', '3/3 nodes successfully configured'],
    ['a completed rollout with a NotReady node skipped', ['Succeeded', 'Skipped', 'Succeeded'], 'Completed', false, 'Available', '2/3 nodes successfully configured, 1 nodes ignored due to NotReady state'],
    ['a first failure while others run', ['Failed', 'Applying', 'Pending'], undefined, false, 'Degraded', '1/3 nodes failed to configure'],
    ['a halted rollout (failure budget)', ['Succeeded', 'Failed', 'Aborted', 'Aborted'], 'Halted', false, 'Degraded', '1/4 nodes failed to configure, 2 nodes aborted configuration'],
    ['a rolled back rollout', ['RolledBack', 'Failed', 'Aborted'], 'RolledBack', false, 'Degraded', '1/3 nodes failed to configure, 1 nodes aborted configuration, 1 nodes rolled back'],
    ['a rollback under way', ['RollingBack', 'Failed'], 'RollingBack', false, 'Degraded', '1/2 nodes failed to configure'],
    ['a user halt after every node succeeded', ['Succeeded', 'Succeeded'], 'Halted', true, 'Degraded', '0/2 nodes failed to configure'],
    ['a user halt mid-rollout', ['Succeeded', 'Aborted'], 'Halted', true, 'Degraded', '0/2 nodes failed to configure, 1 nodes aborted configuration'],
    ['no matching node', [], 'Ignored', false, 'Ignored', 'Policy does not match any node'],
  ])('given %s, should read %s with message %p', (_what, phases, phase, userAbort, type, message) => {
    const progress = progressOf(phases, { ...(phase ? { phase } : {}), ...(userAbort ? { abort: { mode: 'halt', reason: 'user', requestedBy: 'alice', time: NOW } } : {}) });
    const changes = policyConditionChanges(policyNodeCounts(progress));
    expect(changes.filter((c) => c.status === 'True')).toEqual([expect.objectContaining({ type, message })]);
  });
});

describe('NNCP conditions of a rollout refused before any node', () => {
  it('given a rollout halted for an invalid desiredState (no node resolved), should read Degraded with the refusal, not Ignored', () => {
    const message = 'InvalidPolicy: invalid desiredState: interfaces[0].vlan.id: must be between 0 and 4094, got 5000; no node was touched';
    const progress = { ...progressOf([], { phase: 'Halted', abort: { mode: 'halt', reason: 'invalid desiredState: interfaces[0].vlan.id: must be between 0 and 4094, got 5000', time: NOW } }), totalWaves: 0, message };
    const changes = policyConditionChanges(policyNodeCounts(progress));
    expect(changes.filter((c) => c.status === 'True')).toEqual([expect.objectContaining({ type: 'Degraded', reason: 'FailedToConfigure', message })]);
  });

  it('given a completed rollout that matched no node, should still read Ignored', () => {
    const changes = policyConditionChanges(policyNodeCounts(progressOf([], { phase: 'Ignored' })));
    expect(changes.filter((c) => c.status === 'True')).toEqual([expect.objectContaining({ type: 'Ignored' })]);
  });
});

describe('status.rollout and the whole NNCP status', () => {
  it('given a progress with a long error, should truncate lastError and keep counts, gate and abort', () => {
    const p = progressOf(['Failed', 'Aborted'], { phase: 'Halted', errors: { 'node-1': 'x'.repeat(5000) }, abort: { mode: 'halt', reason: 'failure budget spent', time: NOW } });
    p.gate = { afterWave: 1, kind: 'timer', until: NOW };
    const r = rolloutStatus(p, 'nncp/p');
    expect(r.nodes?.[0]?.lastError).toHaveLength(NODE_ERROR_MAX_LENGTH);
    expect(r).toMatchObject({ phase: 'Halted', workflowId: 'nncp/p', counts: { matched: 2, failed: 1, aborted: 1 }, gate: { afterWave: 1, until: NOW }, abort: { mode: 'halt', reason: 'failure budget spent' } });
    expect(r.gate).not.toHaveProperty('kind');
  });

  it('given the current status, should keep transition times of unchanged statuses and pass the schema', () => {
    const first = policyStatus(undefined, progressOf(['Succeeded', 'Applying']), { now: '2026-11-30T04:00:00Z' });
    const second = policyStatus(first, progressOf(['Succeeded', 'Succeeded'], { generation: 1 }), { now: '2026-11-30T04:00:09Z' });
    const progressing = second.conditions!.find((c) => c.type === 'Progressing')!;
    const ignored = second.conditions!.find((c) => c.type === 'Ignored')!;
    expect(progressing).toMatchObject({ status: 'False', lastTransitionTime: '2026-11-30T04:00:09Z', lastHeartbeatTime: '2026-11-30T04:00:09Z' });
    expect(ignored).toMatchObject({ status: 'False', lastTransitionTime: '2026-11-30T04:00:00Z', lastHeartbeatTime: '2026-11-30T04:00:09Z' });
    expect(trueCondition(second.conditions)?.type).toBe('Available');
    expect(second).toMatchObject({ observedGeneration: 1, unavailableNodeCountMap: {} });
    expect(second.conditions!.map((c) => c.type)).toEqual(['Degraded', 'Available', 'Progressing', 'Ignored']);
    expect(() => nncpStatus.parse(second)).not.toThrow();
  });
});

describe('status.rollout from a report of changed nodes only', () => {
  const NOW2 = '2026-11-30T04:00:09Z';
  const full = (): ReturnType<typeof policyStatus> => policyStatus(undefined, progressOf(['Applying', 'Pending', 'Pending']), { now: NOW });
  const changed = (phases: Parameters<typeof progressOf>[0], names: string[], opts: Parameters<typeof progressOf>[1] = {}) => {
    const all = progressOf(['Succeeded', 'Applying', 'Pending'], opts);
    const delta = progressOf(phases, { ...opts, nodeNames: names });
    return { ...all, nodes: delta.nodes };
  };

  it.each<[string, Parameters<typeof canMergeNodes>[0], boolean]>([
    ['no status yet', undefined, false],
    ['a status without status.rollout', { conditions: [] }, false],
    ['the same rollout', full(), true],
    ['another generation', { ...full(), observedGeneration: 2 }, false],
    ['another rollout of the same generation (another start)', { ...full(), rollout: { ...full().rollout!, startTime: '2026-11-30T05:00:00.000Z' } }, false],
  ])('given %s, should say whether the changed nodes can be merged (%s)', (_what, current, expected) => {
    expect(canMergeNodes(current, progressOf(['Pending']))).toBe(expected);
  });

  it('given the status of the same rollout, should replace the changed nodes by name, keep the others and their order, and count from the report', () => {
    const merged = policyStatus(full(), changed(['Succeeded', 'Applying'], ['node-1', 'node-2']), { now: NOW2, nodesChangedOnly: true });
    expect(merged.rollout?.nodes?.map((n) => [n.name, n.phase])).toEqual([
      ['node-1', 'Succeeded'],
      ['node-2', 'Applying'],
      ['node-3', 'Pending'],
    ]);
    expect(merged.rollout?.counts).toMatchObject({ matched: 3, succeeded: 1, inProgress: 1, pending: 1 });
    expect(() => nncpStatus.parse(merged)).not.toThrow();
  });

  it('given a changed node the status does not list yet, should append it', () => {
    expect(mergeNodeEntries([{ name: 'a', v: 1 }], [{ name: 'b', v: 2 }, { name: 'a', v: 3 }])).toEqual([
      { name: 'a', v: 3 },
      { name: 'b', v: 2 },
    ]);
  });

  it('given the status of another rollout, should refuse to merge rather than lose nodes', () => {
    expect(() => policyStatus({ ...full(), observedGeneration: 2 }, changed(['Succeeded'], ['node-1']), { now: NOW2, nodesChangedOnly: true })).toThrow(/another rollout/);
  });
});

describe('status.rollout bounds', () => {
  it('given a node without a wave yet and a gate before the first wave, should leave both out rather than break the schema', () => {
    const p = progressOf(['Pending']);
    p.nodes[0]!.wave = 0;
    p.gate = { afterWave: 0, kind: 'manual' };
    const r = rolloutStatus(p);
    expect(r.nodes?.[0]).not.toHaveProperty('wave');
    expect(r).not.toHaveProperty('gate');
    expect(() => nncpStatus.parse({ rollout: r })).not.toThrow();
  });
});
