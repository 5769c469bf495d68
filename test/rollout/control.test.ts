/**
 * Stopping a rollout on the real parts: abort (halt, rollback), the failure budget, a dead node
 * agent, a new generation superseding a running rollout, and the workflow worker restarted
 * mid-rollout. What is on a node is checked with `ip` inside it; applies are counted by the witness.
 */
import { describe, expect, it } from '@jest/globals';
import { runInNode } from '../../hack/cluster/nodes.ts';
import type { NncpSpec } from '../../crd/nncp.ts';
import { abortUpdate, policyChangedSignal } from '../../workflows/messages.ts';
import type { policyRollout } from '../../workflows/policy-rollout.ts';
import { appliesPerNode, eventually, TEST_ROLLOUT_OPTIONS, testPolicy, useRollout } from './support.ts';

const GROUP = 'rc';
const s = useRollout(GROUP, 4, { nodeMode: 'kernel' });

const bridge = (name: string): NncpSpec['desiredState'] => ({
  interfaces: [{ name, type: 'linux-bridge', state: 'up', bridge: { options: { stp: { enabled: false } }, port: [] } }],
});

async function linkOn(node: string, link: string): Promise<boolean> {
  const n = s.t.nodes.nodes.find((x) => x.name === node)!;
  return (await runInNode(n, 'ip', ['link', 'show', 'dev', link])).exitCode === 0;
}

const since = (t0: number) => s.witness().filter((e) => e.t >= t0);
const gated = (desiredState: NncpSpec['desiredState'], extra: Partial<NncpSpec> = {}) =>
  testPolicy(GROUP, { desiredState, maxUnavailable: 2, rollout: { waves: [{ nodes: 1, pause: 'manual' }] }, ...extra });

async function atGate(name: string) {
  return eventually(async () => {
    const p = await s.progress(name);
    return p.phase === 'Waiting' && p;
  }, 30_000, `${name} at its gate`);
}

describe('rollout control', () => {
  it('given an abort with halt at the gate, should abort the rest and keep the canary configured', async () => {
    const spec = gated(bridge('br-halt'));
    const meta = await s.applyPolicy('rc-halt', spec);
    const h = await s.startRollout('rc-halt', spec, meta);
    const p = await atGate('rc-halt');
    const canary = p.nodes.find((n) => n.phase === 'Succeeded')!.name;
    const accepted = await h.executeUpdate(abortUpdate, { args: [{ mode: 'halt', requestedBy: 'test' }] });
    expect(accepted).toMatchObject({ mode: 'halt', inFlightNodes: [], revertNodes: [] });
    expect(accepted.abortedNodes).toHaveLength(3);
    const out = await h.result();
    expect(out.phase).toBe('Halted');
    expect(out.counts).toMatchObject({ succeeded: 1, aborted: 3 });
    expect(await linkOn(canary, 'br-halt')).toBe(true);
    await expect(h.executeUpdate(abortUpdate, { args: [{ mode: 'halt' }] })).rejects.toThrow();
  });

  it('given an abort with rollback at the gate, should revert the configured canary (checked with ip)', async () => {
    const spec = gated(bridge('br-rb'));
    const meta = await s.applyPolicy('rc-rb', spec);
    const h = await s.startRollout('rc-rb', spec, meta);
    const p = await atGate('rc-rb');
    const canary = p.nodes.find((n) => n.phase === 'Succeeded')!.name;
    expect(await linkOn(canary, 'br-rb')).toBe(true);
    const accepted = await h.executeUpdate(abortUpdate, { args: [{ mode: 'rollback' }] });
    expect(accepted.revertNodes).toEqual([canary]);
    const out = await h.result();
    expect(out.phase).toBe('RolledBack');
    expect(out.counts).toMatchObject({ rolledBack: 1, aborted: 3, succeeded: 0 });
    expect(await linkOn(canary, 'br-rb')).toBe(false);
  });

  it('given an abort with a bad mode, should refuse it and change nothing', async () => {
    const spec = gated(bridge('br-bad'));
    const meta = await s.applyPolicy('rc-badmode', spec);
    const h = await s.startRollout('rc-badmode', spec, meta);
    await atGate('rc-badmode');
    await expect(h.executeUpdate(abortUpdate, { args: [{ mode: 'explode' as 'halt' }] })).rejects.toThrow();
    expect((await s.progress('rc-badmode')).phase).toBe('Waiting');
    await h.executeUpdate(abortUpdate, { args: [{ mode: 'halt' }] });
    await h.result();
  });

  it('given a policy that fails on every node and maxFailures 0, should stop at the first failure and abort the rest', async () => {
    const t0 = Date.now();
    // A bridge port that does not exist: nmstatectl refuses it on every node.
    const spec = testPolicy(GROUP, {
      desiredState: { interfaces: [{ name: 'br-fail', type: 'linux-bridge', state: 'up', bridge: { port: [{ name: 'eth666' }] } }] },
      maxUnavailable: 1,
      rollout: { maxFailures: 0 },
    });
    const meta = await s.applyPolicy('rc-fail', spec);
    const h = await s.startRollout('rc-fail', spec, meta);
    const out = await h.result();
    expect(out.phase).toBe('Halted');
    expect(out.counts).toMatchObject({ failed: 1, aborted: 3, succeeded: 0 });
    const p = await s.progress('rc-fail');
    const failed = p.nodes.find((n) => n.phase === 'Failed')!;
    expect(failed.lastError).toBeTruthy();
    expect(appliesPerNode(since(t0)).size).toBeLessThanOrEqual(1);
    for (const n of s.nodeNames) expect(await linkOn(n, 'br-fail')).toBe(false);
  });

  it('given a node whose agent is down, should report it Unreachable within the timeout and count it as failed', async () => {
    // A Node object that matches the policy but has no agent behind it.
    const ghost = `${GROUP}-ghost-${s.t.cluster.run.id}`;
    const created = await s.t.core.createNode({ body: { metadata: { name: ghost, labels: { 'knmstate.io/group': GROUP, 'knmstate.io/ghost': 'true' } } } });
    try {
      const now = new Date();
      created.status = { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ghost node: no agent', lastHeartbeatTime: now, lastTransitionTime: now }] };
      await s.t.core.replaceNodeStatus({ name: ghost, body: created });
      const spec = testPolicy(GROUP, { desiredState: bridge('br-ghost'), maxUnavailable: 1, nodeSelector: { 'knmstate.io/ghost': 'true' } });
      const meta = await s.applyPolicy('rc-ghost', spec);
      const started = Date.now();
      const h = await s.startRollout('rc-ghost', spec, meta);
      const out = await h.result();
      expect(Date.now() - started).toBeLessThan(30_000);
      const p = await s.progress('rc-ghost');
      const node = p.nodes.find((n) => n.name === ghost);
      if (node?.phase === 'Skipped') throw new Error('the ghost node was not Ready in the apiserver (test set-up)');
      expect(node).toMatchObject({ phase: 'Failed', lastErrorType: 'Unreachable' });
      expect(out.counts.failed).toBe(1);
    } finally {
      await s.t.core.deleteNode({ name: ghost });
    }
  });

  it('given a new generation while a rollout waits at its gate, should supersede it and roll out the new spec', async () => {
    const t0 = Date.now();
    const spec1 = gated(bridge('br-gen1'));
    const meta1 = await s.applyPolicy('rc-super', spec1);
    const h = await s.startRollout('rc-super', spec1, meta1);
    await atGate('rc-super');
    const spec2 = testPolicy(GROUP, { desiredState: bridge('br-gen2'), maxUnavailable: 2 });
    const meta2 = await s.applyPolicy('rc-super', spec2);
    expect(meta2.generation).toBeGreaterThan(meta1.generation);
    await h.signal(policyChangedSignal, { generation: meta2.generation, spec: spec2, uid: meta2.uid });
    // The workflow continues as new: follow the latest run.
    const latest = s.t.client.workflow.getHandle<typeof policyRollout>(h.workflowId);
    const out = await latest.result();
    expect(out.phase).toBe('Completed');
    const p = await s.progress('rc-super');
    expect(p.generation).toBe(meta2.generation);
    for (const n of s.nodeNames) expect(await linkOn(n, 'br-gen2')).toBe(true);
    // gen 1 was applied on the canary only; gen 2 on every node: 5 applies in all.
    expect([...appliesPerNode(since(t0)).values()].reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('given the workflow worker stopped and restarted mid-rollout, should complete with each node applied exactly once', async () => {
    const t0 = Date.now();
    const spec = testPolicy(GROUP, { desiredState: bridge('br-restart'), maxUnavailable: 1 });
    const meta = await s.applyPolicy('rc-restart', spec);
    const h = await s.startRollout('rc-restart', spec, meta);
    await eventually(() => appliesPerNode(since(t0)).size >= 1, 30_000, 'a first apply');
    await s.stopWorker();
    await s.startWorker();
    const out = await h.result();
    expect(out.phase).toBe('Completed');
    expect([...appliesPerNode(since(t0)).values()]).toEqual([1, 1, 1, 1]);
  });

  it('given a history limit far below the rollout, should continue as new and still apply each node exactly once', async () => {
    const t0 = Date.now();
    const spec = testPolicy(GROUP, { desiredState: bridge('br-can'), maxUnavailable: 1 });
    const meta = await s.applyPolicy('rc-can', spec);
    const h = await s.startRollout('rc-can', spec, { ...meta, options: { ...TEST_ROLLOUT_OPTIONS, maxHistoryEvents: 40 } });
    const out = await h.result();
    expect(out).toMatchObject({ phase: 'Completed', counts: { succeeded: 4, failed: 0 } });
    const desc = await s.t.client.workflow.getHandle(h.workflowId).describe();
    expect(desc.runId).not.toBe(h.firstExecutionRunId);
    expect([...appliesPerNode(since(t0)).values()]).toEqual([1, 1, 1, 1]);
  });
});
