/**
 * The cluster activities against the real kube-apiserver: the NNCP status they write reads back
 * with upstream's conditions and messages (also through kubectl's printer columns), it never goes
 * back in generation, conflicts with a concurrent writer are overcome, NNCEs are owned by their Node
 * with upstream's labels and conditions, events appear once, and deleteEnactments keeps what it
 * should.
 */
import { describe, expect, it } from '@jest/globals';
import { eventually } from '../../hack/cluster/wait.ts';
import { trueCondition } from '../../crd/conditions.ts';
import { enactmentName, LABEL_NODE, LABEL_POLICY } from '../../crd/nnce.ts';
import type { NodeRolloutPhase } from '../../crd/nncp.ts';
import type { EnactmentUpdate } from '../../activities/cluster/contract.ts';
import { reconcileFailedMessage } from '../../crd/enactment-status.ts';
import { progressOf } from './progress-fixture.ts';
import { GROUP_LABEL, useStatusCluster } from './support.ts';

const s = useStatusCluster('cst', 3);

/** A report of `policy` whose suite nodes have `phases`. */
const report = (policy: string, generation: number, phases: NodeRolloutPhase[], more: { uid?: string; errors?: Record<string, string>; enactments?: EnactmentUpdate[]; phase?: 'Halted' } = {}) =>
  s.cluster.reportStatus({
    policy,
    ...(more.uid ? { uid: more.uid } : {}),
    generation,
    progress: progressOf(phases, { policy, generation, nodeNames: s.nodes.slice(0, phases.length), ...(more.errors ? { errors: more.errors } : {}), ...(more.phase ? { phase: more.phase } : {}) }),
    enactments: more.enactments ?? [],
  });

const columns = async (kind: string, name: string): Promise<string[]> => {
  const out = await s.kubectl('get', kind, name, '--no-headers');
  return out.trim().split(/\s{2,}/);
};

describe('NNCP status written by reportStatus', () => {
  it.each<[string, NodeRolloutPhase[], string, string, string]>([
    ['progressing', ['Succeeded', 'Applying', 'Pending'], 'Progressing', 'ConfigurationProgressing', 'Policy is progressing 1/3 nodes finished'],
    ['complete', ['Succeeded', 'Succeeded', 'Succeeded'], 'Available', 'SuccessfullyConfigured', '3/3 nodes successfully configured'],
    ['failed', ['Succeeded', 'Failed', 'Succeeded'], 'Degraded', 'FailedToConfigure', '1/3 nodes failed to configure'],
    ['ignored', [], 'Ignored', 'NoMatchingNode', 'Policy does not match any node'],
  ])('given a %s progress, should read back upstream condition and message, and kubectl should show them', async (what, phases, type, reason, message) => {
    const policy = `st-${what}`;
    const { uid, generation } = await s.createPolicy(policy);
    expect(await report(policy, generation, phases, { uid })).toMatchObject({ written: true });
    const o = await s.getPolicy(policy);
    expect(o.status?.observedGeneration).toBe(generation);
    expect(o.status?.unavailableNodeCountMap).toEqual({});
    expect(o.status?.conditions?.filter((c) => c.status === 'True')).toEqual([expect.objectContaining({ type, reason, message })]);
    expect(o.status?.conditions?.map((c) => c.type).sort()).toEqual(['Available', 'Degraded', 'Ignored', 'Progressing']);
    expect(o.status?.rollout).toMatchObject({ counts: { matched: phases.length }, nodes: phases.map((phase) => expect.objectContaining({ phase })) });
    const [name, status, rsn] = await columns('nncp', policy);
    expect([name, status, rsn]).toEqual([policy, type, reason]);
  });

  it('given a report for generation 1 after one for generation 2, should write nothing and keep generation 2', async () => {
    const policy = 'st-generation';
    const { uid } = await s.createPolicy(policy);
    const g2 = await s.bumpGeneration(policy);
    expect(g2).toBe(2);
    expect(await report(policy, 2, ['Succeeded', 'Succeeded', 'Succeeded'], { uid })).toMatchObject({ written: true });
    const before = await s.getPolicy(policy);
    expect(await report(policy, 1, ['Failed', 'Pending', 'Pending'], { uid })).toEqual({ written: false, reason: 'NewerGenerationReported' });
    const after = await s.getPolicy(policy);
    expect(after.status?.observedGeneration).toBe(2);
    expect(trueCondition(after.status?.conditions)?.type).toBe('Available');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('given a report for another uid (the policy was re-created), should write nothing', async () => {
    const policy = 'st-uid';
    const { generation } = await s.createPolicy(policy);
    expect(await report(policy, generation, ['Succeeded'], { uid: '00000000-0000-0000-0000-000000000000' })).toEqual({ written: false, reason: 'PolicyRecreated' });
    expect((await s.getPolicy(policy)).status).toBeUndefined();
  });

  it('given a report that names its workflow and one that does not, should keep the workflow id', async () => {
    const policy = 'st-workflow';
    const { uid, generation } = await s.createPolicy(policy);
    const progress = progressOf(['Applying'], { policy, generation, nodeNames: s.nodes });
    await s.cluster.reportStatus({ policy, uid, generation, progress, enactments: [], workflowId: `nncp/${policy}` });
    await s.cluster.reportStatus({ policy, uid, generation, progress, enactments: [] });
    expect((await s.getPolicy(policy)).status?.rollout?.workflowId).toBe(`nncp/${policy}`);
  });

  it('given a policy that does not exist, should write nothing', async () => {
    expect(await report('st-missing', 1, ['Succeeded'])).toEqual({ written: false, reason: 'PolicyNotFound' });
  });

  it('given a concurrent writer bumping the resourceVersion, should re-read, recompute and write every report', async () => {
    const policy = 'st-conflict';
    const { uid, generation } = await s.createPolicy(policy);
    let writing = true;
    let bumps = 0;
    const writer = (async () => {
      while (writing) {
        const o = await s.getPolicy(policy);
        o.metadata.annotations = { ...o.metadata.annotations, 'knmstate.io/test-bump': String(++bumps) };
        await s.custom.replaceClusterCustomObject({ group: 'nmstate.io', version: 'v1', plural: 'nodenetworkconfigurationpolicies', name: policy, body: o }).catch(() => undefined);
      }
    })();
    let conflicts = 0;
    let reports = 0;
    try {
      await eventually(
        async () => {
          const phases: NodeRolloutPhase[] = ['Succeeded', reports % 2 ? 'Applying' : 'Pending', 'Pending'];
          const enactments = s.nodes.map((node, i) => ({ node, phase: phases[i]!, attempts: 1, maxAttempts: 3 }));
          const r = await report(policy, generation, phases, { uid, enactments });
          reports++;
          expect(r.written).toBe(true);
          conflicts += r.conflicts ?? 0;
          return conflicts > 0;
        },
        { timeoutMs: 30_000, intervalMs: 1, what: 'a report that met a conflict' },
      );
    } finally {
      writing = false;
      await writer;
    }
    const o = await s.getPolicy(policy);
    expect(trueCondition(o.status?.conditions)).toMatchObject({ type: 'Progressing' });
    expect(o.status?.observedGeneration).toBe(generation);
  });

  it('given a report of changed nodes only, should merge them into the same rollout, and ask for every node when the status shows another rollout', async () => {
    const policy = 'st-delta';
    const { uid, generation } = await s.createPolicy(policy);
    const nodeNames = s.nodes.slice(0, 3);
    const changedOnly = (phases: NodeRolloutPhase[], changed: number[], startTime?: string) => {
      const all = progressOf(phases, { policy, generation, nodeNames });
      return s.cluster.reportStatus({ policy, uid, generation, progress: { ...all, ...(startTime ? { startTime } : {}), nodes: all.nodes.filter((_, i) => changed.includes(i)) }, nodesChangedOnly: true, enactments: [] });
    };
    // nothing to merge into yet
    expect(await changedOnly(['Applying', 'Pending', 'Pending'], [0])).toEqual({ written: false, reason: 'FullReportNeeded' });
    expect((await s.getPolicy(policy)).status?.rollout).toBeUndefined();
    expect(await report(policy, generation, ['Applying', 'Pending', 'Pending'], { uid })).toMatchObject({ written: true });
    expect(await changedOnly(['Succeeded', 'Applying', 'Pending'], [0, 1])).toMatchObject({ written: true });
    const o = await s.getPolicy(policy);
    expect(o.status?.rollout?.nodes?.map((n) => [n.name, n.phase])).toEqual([
      [nodeNames[0], 'Succeeded'],
      [nodeNames[1], 'Applying'],
      [nodeNames[2], 'Pending'],
    ]);
    expect(trueCondition(o.status?.conditions)?.message).toBe('Policy is progressing 1/3 nodes finished');
    // a rollout that started later (after a restart of the engine) cannot reuse these entries
    expect(await changedOnly(['Succeeded', 'Succeeded', 'Pending'], [1], '2026-11-30T05:00:00.000Z')).toEqual({ written: false, reason: 'FullReportNeeded' });
    expect((await s.getPolicy(policy)).metadata.resourceVersion).toBe(o.metadata.resourceVersion);
  });

  it('given minIntervalMs, should not return sooner than that after it began writing', async () => {
    const policy = 'st-interval';
    const { uid, generation } = await s.createPolicy(policy);
    const t0 = performance.now();
    const r = await s.cluster.reportStatus({ policy, uid, generation, progress: progressOf(['Pending'], { policy, generation, nodeNames: s.nodes }), enactments: [], minIntervalMs: 400 });
    expect(r.written).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(395);
  });
});

describe('NNCEs and events written by reportStatus', () => {
  it('given node updates, should create <node>.<policy> owned by the Node, labelled, with the phase conditions, and kubectl should show them', async () => {
    const policy = 'st-nnce';
    const { uid, generation } = await s.createPolicy(policy);
    const [n1, n2, n3] = s.nodes as [string, string, string];
    const enactments: EnactmentUpdate[] = [
      { node: n1, phase: 'Succeeded', attempts: 1, maxAttempts: 5, renderedState: { interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'up' }] } },
      { node: n2, phase: 'Retrying', attempts: 2, maxAttempts: 5, error: 'probe failed' },
      { node: n3, phase: 'Pending', attempts: 0, maxAttempts: 5 },
    ];
    expect(await report(policy, generation, ['Succeeded', 'Retrying', 'Pending'], { uid, enactments })).toMatchObject({ written: true });

    const e1 = await s.getEnactment(enactmentName(n1, policy));
    const node1 = await s.readNode(n1);
    expect(e1?.metadata.labels).toMatchObject({ [LABEL_POLICY]: policy, [LABEL_NODE]: n1 });
    expect(e1?.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: n1, uid: node1.metadata!.uid }]);
    expect(e1?.status).toMatchObject({ policyGeneration: generation, desiredState: enactments[0]!.renderedState, retryCount: { [String(generation)]: 0 } });
    expect(trueCondition(e1?.status?.conditions)).toMatchObject({ type: 'Available', reason: 'SuccessfullyConfigured', message: 'successfully reconciled' });

    const e2 = await s.getEnactment(enactmentName(n2, policy));
    expect(e2?.status?.conditions?.filter((c) => c.status === 'True').map((c) => [c.type, c.reason, c.message])).toEqual([
      ['Failing', 'Retrying', `failed to reconcile NodeNetworkConfigurationPolicy on node ${n2}. Retrying 3/5`],
      ['Progressing', 'Retrying', `failed to reconcile NodeNetworkConfigurationPolicy on node ${n2}. Retrying 3/5`],
    ]);
    expect(e2?.status?.retryCount).toEqual({ [String(generation)]: 2 });
    const e3 = await s.getEnactment(enactmentName(n3, policy));
    expect(trueCondition(e3?.status?.conditions)).toMatchObject({ type: 'Pending', reason: 'MaxUnavailableLimitReached', message: 'Waiting for progressing nodes to finish' });

    const [, status, , reason] = await columns('nnce', enactmentName(n1, policy));
    expect([status, reason]).toEqual(['Available', 'SuccessfullyConfigured']);

    // the next report moves n2 to Failed: the same object is updated, its transition time moves
    const failed: EnactmentUpdate = { node: n2, phase: 'Failed', attempts: 5, maxAttempts: 5, error: 'error reconciling NodeNetworkConfigurationPolicy on node n2 at desired state apply: "x"' };
    expect(await report(policy, generation, ['Succeeded', 'Failed', 'Pending'], { uid, enactments: [failed] })).toMatchObject({ written: true });
    const e2b = await s.getEnactment(enactmentName(n2, policy));
    expect(e2b?.metadata.uid).toBe(e2?.metadata.uid);
    expect(trueCondition(e2b?.status?.conditions)).toMatchObject({ type: 'Failing', reason: 'FailedToConfigure', message: failed.error });
    expect(e2b?.status?.retryCount).toEqual({ [String(generation)]: 5 });
  });

  it('given enactments changed or deleted behind the writer, should re-read them and still write every one', async () => {
    const policy = 'st-behind';
    const { uid, generation } = await s.createPolicy(policy);
    const [n1, n2] = s.nodes as [string, string];
    const up = (phase: NodeRolloutPhase): EnactmentUpdate[] => [n1, n2].map((node) => ({ node, phase, attempts: 1, maxAttempts: 5 }));
    await report(policy, generation, ['Applying', 'Applying'], { uid, enactments: up('Applying') });
    // another writer touches n1's enactment (its resourceVersion moves) and deletes n2's
    const e1 = (await s.getEnactment(enactmentName(n1, policy)))!;
    e1.metadata.annotations = { 'knmstate.io/touched': 'yes' };
    await s.custom.replaceClusterCustomObject({ group: 'nmstate.io', version: 'v1beta1', plural: 'nodenetworkconfigurationenactments', name: e1.metadata.name!, body: e1 });
    await s.custom.deleteClusterCustomObject({ group: 'nmstate.io', version: 'v1beta1', plural: 'nodenetworkconfigurationenactments', name: enactmentName(n2, policy) });

    const r = await report(policy, generation, ['Succeeded', 'Succeeded'], { uid, enactments: up('Succeeded') });
    expect(r.written).toBe(true);
    expect(r.conflicts).toBeGreaterThanOrEqual(1);
    for (const n of [n1, n2]) expect(trueCondition((await s.getEnactment(enactmentName(n, policy)))?.status?.conditions)?.type).toBe('Available');
    expect((await s.getEnactment(enactmentName(n1, policy)))?.metadata.annotations).toEqual({ 'knmstate.io/touched': 'yes' });
  });

  it('given a ReconcileFailed event reported twice, should show one Warning event on the policy', async () => {
    const policy = 'st-events';
    const { uid, generation } = await s.createPolicy(policy);
    const n = s.nodes[0]!;
    const message = reconcileFailedMessage(n, policy, 5);
    const input = { policy, uid, generation, progress: progressOf(['Failed'], { policy, generation, nodeNames: [n] }), enactments: [], events: [{ reason: 'ReconcileFailed' as const, message, node: n }] };
    expect(await s.cluster.reportStatus(input)).toMatchObject({ written: true });
    expect(await s.cluster.reportStatus(input)).toMatchObject({ written: true });
    const events = await s.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${policy}` });
    expect(events.items.map((e) => [e.type, e.reason, e.message, e.involvedObject.kind, e.involvedObject.uid])).toEqual([['Warning', 'ReconcileFailed', message, 'NodeNetworkConfigurationPolicy', uid]]);
    const printed = await s.kubectl('get', 'events', '-n', 'default', '--field-selector', `involvedObject.name=${policy}`, '-o', 'custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message', '--no-headers');
    expect(printed).toContain(`Warning   ReconcileFailed   ${message}`);
  });
});

describe('resolveNodes and deleteEnactments', () => {
  it('given a NotReady node and an enactment, should list the matching nodes with readiness and enactment', async () => {
    const policy = 'st-resolve';
    const { uid, generation } = await s.createPolicy(policy);
    const [n1, n2, n3] = s.nodes as [string, string, string];
    await report(policy, generation, ['Succeeded'], { uid, enactments: [{ node: n1, phase: 'Succeeded', attempts: 1, maxAttempts: 5 }] });
    await s.setReady(n3, false);
    try {
      const r = await s.cluster.resolveNodes({ policy, generation, spec: { nodeSelector: { [GROUP_LABEL]: s.group } } });
      expect(r.nodes.map((n) => [n.name, n.ready, n.enactment])).toEqual([
        [n1, true, { generation, condition: 'Available' }],
        [n2, true, undefined],
        [n3, false, undefined],
      ]);
      const terms = await s.cluster.resolveNodes({
        policy,
        generation,
        spec: { nodeSelector: { [GROUP_LABEL]: s.group }, rollout: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [n2] }] }] } },
      });
      expect(terms.nodes.map((n) => n.name)).toEqual([n2]);
    } finally {
      await s.setReady(n3, true);
    }
  });

  it('given keepNodes, should delete the other enactments of the policy only, then all of them', async () => {
    const policy = 'st-delete';
    const other = 'st-delete-other';
    const a = await s.createPolicy(policy);
    const b = await s.createPolicy(other);
    const all = s.nodes.map((node) => ({ node, phase: 'Succeeded' as const, attempts: 1, maxAttempts: 5 }));
    await report(policy, a.generation, ['Succeeded', 'Succeeded', 'Succeeded'], { uid: a.uid, enactments: all });
    await report(other, b.generation, ['Succeeded', 'Succeeded', 'Succeeded'], { uid: b.uid, enactments: all });
    const [n1, n2, n3] = s.nodes as [string, string, string];

    expect(await s.cluster.deleteEnactments({ policy, keepNodes: [n2] })).toEqual({ deleted: [enactmentName(n1, policy), enactmentName(n3, policy)].sort() });
    expect(await s.getEnactment(enactmentName(n2, policy))).toBeDefined();
    expect(await s.getEnactment(enactmentName(n1, policy))).toBeUndefined();
    expect(await s.cluster.deleteEnactments({ policy })).toEqual({ deleted: [enactmentName(n2, policy)] });
    for (const n of s.nodes) expect(await s.getEnactment(enactmentName(n, other))).toBeDefined();
  });
});
