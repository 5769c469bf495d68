/**
 * The rollout workflow end to end on the real parts: Temporal dev server, the rollout worker with the
 * cluster activities, real node agents and nmstatectl in simulated (kernel-mode) nodes, the real
 * apiserver. Concurrency and "applied once" are read from the nodes' side (the nmstatectl witness).
 */
import { describe, expect, it } from '@jest/globals';
import { runInNode } from '../../hack/cluster/nodes.ts';
import type { NncpSpec } from '../../crd/nncp.ts';
import { pauseSignal, policyChangedSignal, promoteSignal, resumeSignal } from '../../workflows/messages.ts';
import { appliesPerNode, eventually, maxConcurrent, testPolicy, useRollout } from './support.ts';

const s = useRollout('ro', 4, { nodeMode: 'kernel' });

const bridge = (name: string, port = 'eth1'): NncpSpec['desiredState'] => ({
  interfaces: [{ name, type: 'linux-bridge', state: 'up', bridge: { options: { stp: { enabled: false } }, port: [{ name: port }] } }],
});

async function hasLink(node: string, link: string): Promise<boolean> {
  const n = s.t.nodes.nodes.find((x) => x.name === node)!;
  const r = await runInNode(n, 'ip', ['-j', 'link', 'show', 'dev', link]);
  return r.exitCode === 0;
}

const since = (t0: number) => s.witness().filter((e) => e.t >= t0);

describe('rollout workflow', () => {
  it('given a bridge policy for every node and maxUnavailable 2, should configure all nodes, never more than 2 applying at once, each once', async () => {
    const t0 = Date.now();
    const spec = testPolicy('ro', { desiredState: bridge('br-all'), maxUnavailable: 2 });
    const { generation, uid } = await s.applyPolicy('ro-all', spec);
    const h = await s.startRollout('ro-all', spec, { generation, uid });
    const out = await h.result();
    expect(out.phase).toBe('Completed');
    expect(out.counts).toMatchObject({ matched: 4, succeeded: 4, failed: 0 });
    for (const n of s.nodeNames) expect(await hasLink(n, 'br-all')).toBe(true);
    const w = since(t0);
    if (maxConcurrent(w) !== 2) console.log(JSON.stringify(w));
    expect(maxConcurrent(w)).toBe(2);
    expect([...appliesPerNode(w).values()]).toEqual([1, 1, 1, 1]);
    const p = await s.progress('ro-all');
    expect(p.nodes.map((n) => n.phase)).toEqual(['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded']);
    // The status the rollout wrote: upstream's Available message, and one Available enactment per node.
    const nncp = await s.policyObject('ro-all');
    expect(nncp.status?.conditions?.find((c) => c.status === 'True')).toMatchObject({ type: 'Available', reason: 'SuccessfullyConfigured', message: '4/4 nodes successfully configured' });
    expect(nncp.status?.observedGeneration).toBe(generation);
    const nnces = await s.enactments('ro-all');
    expect(nnces.map((e) => [e.metadata.name, e.status?.conditions?.find((c) => c.status === 'True')?.type, e.status?.policyGeneration]).sort()).toEqual(
      s.nodeNames.map((n) => [`${n}.ro-all`, 'Available', generation]).sort(),
    );
  });

  it('given a canary wave with a manual gate, should stop after one node until promoted', async () => {
    const t0 = Date.now();
    const spec = testPolicy('ro', { desiredState: bridge('br-canary'), maxUnavailable: 3, rollout: { waves: [{ nodes: 1, pause: 'manual' }] } });
    const { generation, uid } = await s.applyPolicy('ro-canary', spec);
    const h = await s.startRollout('ro-canary', spec, { generation, uid });
    const p = await eventually(async () => {
      const x = await s.progress('ro-canary');
      return x.phase === 'Waiting' && x;
    }, 30_000, 'the manual gate');
    expect(p.gate).toMatchObject({ afterWave: 1, kind: 'manual' });
    expect(p.counts).toMatchObject({ succeeded: 1, pending: 3 });
    expect(appliesPerNode(since(t0)).size).toBe(1);
    await h.signal(promoteSignal, { wave: 1 });
    const out = await h.result();
    expect(out.phase).toBe('Completed');
    const w = since(t0);
    expect(appliesPerNode(w).size).toBe(4);
    expect(maxConcurrent(w)).toBeLessThanOrEqual(3);
  });

  it('given a pause signal, should start no node until resumed, and nodes in flight finish', async () => {
    const spec = testPolicy('ro', { desiredState: bridge('br-pause'), maxUnavailable: 1, rollout: { paused: true } });
    const { generation, uid } = await s.applyPolicy('ro-pause', spec);
    const t0 = Date.now();
    // Starts paused (spec.rollout.paused); the resume signal alone does not override the spec, so
    // resume through a policy change of the same generation.
    const h = await s.startRollout('ro-pause', spec, { generation, uid });
    await eventually(async () => (await s.progress('ro-pause')).phase === 'Paused', 20_000, 'Paused');
    // Consistently: nothing applies while paused.
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      expect(appliesPerNode(since(t0)).size).toBe(0);
      await new Promise((r) => setTimeout(r, 200));
    }
    await h.signal(pauseSignal, {});
    await h.signal(resumeSignal, {});
    expect((await s.progress('ro-pause')).phase).toBe('Paused');
    await h.signal(policyChangedSignal, { generation, spec: { ...spec, rollout: { paused: false } } });
    const out = await h.result();
    expect(out.phase).toBe('Completed');
    expect(appliesPerNode(since(t0)).size).toBe(4);
  });
});
