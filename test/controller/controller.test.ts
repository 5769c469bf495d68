/**
 * The controller end to end, driven through the apiserver only (kubectl apply, label, patch, delete)
 * on the real parts: kube-apiserver, Temporal dev server, the controller (informers, rollout worker,
 * cluster activities), real node agents and nmstatectl in simulated kernel-mode nodes. "Applied once"
 * is counted on the node side (the nmstatectl witness).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runInNode } from '../../hack/cluster/nodes.ts';
import type { NncpSpec } from '../../crd/nncp.ts';
import { rolloutWorkflowId } from '../../workflows/ids.ts';
import type { Controller } from '../../workers/controller/controller.ts';
import { appliesPerNode, eventually, maxConcurrent } from '../rollout/support.ts';
import { enactmentCondition, useControllerSuite } from './support.ts';

const G = 'ctl';
const s = useControllerSuite(G, 3);

const bridge = (name: string): NncpSpec['desiredState'] => ({
  interfaces: [{ name, type: 'linux-bridge', state: 'up', bridge: { options: { stp: { enabled: false } }, port: [] } }],
});

async function hasLink(node: string, link: string): Promise<boolean> {
  const n = s.t.nodes.nodes.find((x) => x.name === node)!;
  return (await runInNode(n, 'ip', ['-j', 'link', 'show', 'dev', link])).exitCode === 0;
}

/** Applies per node name (from the witness, since `t0`). */
function applies(t0: number): Record<string, number> {
  const byNetns = appliesPerNode(s.witness().filter((e) => e.t >= t0));
  return Object.fromEntries(s.t.nodes.nodes.map((n) => [n.name, byNetns.get(n.netns) ?? 0]));
}
const each = (n: number, nodes = s.nodeNames): Record<string, number> => Object.fromEntries(nodes.map((x) => [x, n]));

async function waitAvailable(policy: string, timeoutS = 60): Promise<void> {
  const r = await s.kubectl(['wait', '--for=condition=Available', `nncp/${policy}`, `--timeout=${timeoutS}s`]);
  if (r.exitCode !== 0) throw new Error(`kubectl wait nncp/${policy}: ${r.stderr}; status: ${JSON.stringify((await s.policy(policy))?.status)}`);
}

async function label(node: string, kv: string): Promise<void> {
  const r = await s.kubectl(['label', 'node', node, '--overwrite', kv]);
  if (r.exitCode !== 0) throw new Error(`kubectl label ${node} ${kv}: ${r.stderr}`);
}

async function workflowRuns(policy: string): Promise<number> {
  let n = 0;
  for await (const run of s.t.client.workflow.list({ query: `WorkflowId = '${rolloutWorkflowId(policy)}'` })) if (run.workflowId) n++;
  return n;
}

describe('controller: kubectl drives rollouts', () => {
  let c: Controller;
  beforeAll(async () => {
    c = await s.startController();
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('given a new NNCP, should roll it out: every node configured once, NNCEs Available, and kubectl wait returns', async () => {
    const t0 = Date.now();
    await s.applyPolicy('ctl-bridge', { desiredState: bridge('br-ctl'), maxUnavailable: 2 });
    await waitAvailable('ctl-bridge');
    const p = await s.policy('ctl-bridge');
    expect(p?.status?.observedGeneration).toBe(p?.metadata.generation);
    expect(p?.status?.rollout).toMatchObject({ phase: 'Completed', counts: { matched: 3, succeeded: 3 } });
    const nnces = await s.enactments('ctl-bridge');
    expect([...nnces.keys()].sort()).toEqual(s.nodeNames);
    for (const e of nnces.values()) expect(enactmentCondition(e)).toBe('Available');
    for (const n of s.nodeNames) expect(await hasLink(n, 'br-ctl')).toBe(true);
    expect(applies(t0)).toEqual(each(1));
  });

  it('given an unchanged NNCP after its rollout ended, should skip it: no new run, no apply', async () => {
    const t0 = Date.now();
    const runs = await workflowRuns('ctl-bridge');
    // An annotation changes neither the generation nor the outcome: the reconcile sees a final status.
    expect((await s.kubectl(['annotate', 'nncp', 'ctl-bridge', '--overwrite', 'example.com/note=x'])).exitCode).toBe(0);
    // Seen by the controller's informer, then reconciled.
    await eventually(() => c.reconciler.nncps.get('ctl-bridge')?.metadata?.annotations?.['example.com/note'] === 'x', 10_000, 'the annotation in the cache');
    await c.reconciler.queue.idle();
    expect(await workflowRuns('ctl-bridge')).toBe(runs);
    expect(applies(t0)).toEqual(each(0));
  });

  it('given a paused-only patch after the rollout ended, should only bring the status to the new generation, applying nothing', async () => {
    const t0 = Date.now();
    const runs = await workflowRuns('ctl-bridge');
    const before = (await s.policy('ctl-bridge'))!.metadata.generation!;
    expect((await s.kubectl(['patch', 'nncp', 'ctl-bridge', '--type=merge', '-p', '{"spec":{"rollout":{"paused":true}}}'])).exitCode).toBe(0);
    const p = await eventually(async () => {
      const x = await s.policy('ctl-bridge');
      return x?.metadata.generation === before + 1 && x.status?.observedGeneration === before + 1 && x;
    }, 15_000, 'observedGeneration of the paused-only edit');
    expect(p.status?.conditions?.find((x) => x.type === 'Available')?.status).toBe('True');
    expect(await workflowRuns('ctl-bridge')).toBe(runs);
    expect(applies(t0)).toEqual(each(0));
  });

  it('given spec.rollout.paused patched mid-rollout, should pause and resume the same run, never a new rollout', async () => {
    const t0 = Date.now();
    await s.applyPolicy('ctl-pause', { desiredState: bridge('br-pause'), maxUnavailable: 1 });
    await eventually(() => s.witness().some((e) => e.t >= t0 && e.op === 'apply' && e.what === 'start'), 30_000, 'the first apply');
    expect((await s.kubectl(['patch', 'nncp', 'ctl-pause', '--type=merge', '-p', '{"spec":{"rollout":{"paused":true}}}'])).exitCode).toBe(0);
    const paused = await eventually(async () => {
      const x = await s.policy('ctl-pause');
      return x?.status?.rollout?.phase === 'Paused' && x.status.rollout.counts?.inProgress === 0 && x;
    }, 30_000, 'the rollout to pause');
    // Steering advances the status generation in the same run.
    expect(paused.status?.observedGeneration).toBe(paused.metadata.generation);
    const done = paused.status?.rollout?.counts?.succeeded ?? 0;
    expect(done).toBeLessThan(3);
    // Paused: the nodes started are exactly the nodes finished (no node started after the pause took hold).
    expect(Object.values(applies(t0)).reduce((a, b) => a + b, 0)).toBe(done);
    expect((await s.kubectl(['patch', 'nncp', 'ctl-pause', '--type=merge', '-p', '{"spec":{"rollout":{"paused":false}}}'])).exitCode).toBe(0);
    await waitAvailable('ctl-pause');
    expect(applies(t0)).toEqual(each(1));
    expect(await workflowRuns('ctl-pause')).toBe(1);
  });

  it('given three policies applied at once on the same nodes, should configure them all, each node applying one at a time', async () => {
    const t0 = Date.now();
    const names = ['ctl-multi-1', 'ctl-multi-2', 'ctl-multi-3'];
    await Promise.all(names.map((n, i) => s.applyPolicy(n, { desiredState: bridge(`br-m${i + 1}`), maxUnavailable: 3 })));
    for (const n of names) await waitAvailable(n, 90);
    const w = s.witness().filter((e) => e.t >= t0);
    for (const node of s.t.nodes.nodes) {
      expect(maxConcurrent(w.filter((e) => e.netns === node.netns))).toBe(1);
      for (let i = 1; i <= 3; i++) expect(await hasLink(node.name, `br-m${i}`)).toBe(true);
    }
    expect(applies(t0)).toEqual(each(3));
  });

  it('given its run terminated by hand before the rollout ended, should start a new run that skips the nodes already configured', async () => {
    const t0 = Date.now();
    await s.applyPolicy('ctl-term', { desiredState: bridge('br-term'), maxUnavailable: 3, rollout: { waves: [{ nodes: 1, pause: 'manual' }] } });
    await eventually(async () => (await s.policy('ctl-term'))?.status?.rollout?.phase === 'Waiting', 30_000, 'the manual gate');
    const h = s.t.client.workflow.getHandle(rolloutWorkflowId('ctl-term'));
    await h.terminate('test: an operator terminated the run');
    await eventually(async () => (await workflowRuns('ctl-term')) === 2 && (await h.describe()).status.name === 'RUNNING', 30_000, 'a new run');
    await eventually(async () => (await s.policy('ctl-term'))?.status?.rollout?.phase === 'Waiting', 30_000, 'the manual gate again');
    expect((await s.kubectl(['annotate', 'nncp', 'ctl-term', '--overwrite', 'nmstate.io/rollout-approved-wave=1'])).exitCode).toBe(0);
    await waitAvailable('ctl-term');
    expect(applies(t0)).toEqual(each(1));
  });

  it('given a node labelled to match, should apply the policy to that node only; label removed → its NNCE deleted', async () => {
    const [a, b, extra] = s.nodeNames as [string, string, string];
    await label(a, 'ctl.knmstate.io/edge=true');
    await label(b, 'ctl.knmstate.io/edge=true');
    try {
      await s.applyPolicy('ctl-edge', { desiredState: bridge('br-edge'), nodeSelector: { 'ctl.knmstate.io/edge': 'true' } });
      await waitAvailable('ctl-edge');
      expect([...(await s.enactments('ctl-edge')).keys()].sort()).toEqual([a, b]);

      const t0 = Date.now();
      await label(extra, 'ctl.knmstate.io/edge=true');
      await eventually(async () => enactmentCondition((await s.enactments('ctl-edge')).get(extra)) === 'Available', 30_000, `the NNCE of ${extra}`);
      await eventually(async () => (await s.policy('ctl-edge'))?.status?.rollout?.counts?.matched === 3 && (await s.policy('ctl-edge'))?.status?.rollout?.phase === 'Completed', 30_000, 'the counts of 3 nodes');
      await waitAvailable('ctl-edge');
      expect(await hasLink(extra, 'br-edge')).toBe(true);
      expect(applies(t0)).toEqual({ ...each(0), [extra]: 1 });

      const t1 = Date.now();
      await label(extra, 'ctl.knmstate.io/edge-');
      await eventually(async () => !(await s.enactments('ctl-edge')).has(extra), 10_000, `the NNCE of ${extra} to go`);
      // The counts follow: a new run of the same generation recomputes them, applying nothing.
      const p = await eventually(async () => {
        const x = await s.policy('ctl-edge');
        return x?.status?.rollout?.counts?.matched === 2 && x.status.rollout.phase === 'Completed' && x;
      }, 30_000, 'the counts of 2 nodes');
      expect(p.status?.conditions?.find((x) => x.type === 'Available')?.message).toBe('2/2 nodes successfully configured');
      expect(applies(t1)).toEqual(each(0));
      // No revert on unmatch (upstream): the bridge stays.
      expect(await hasLink(extra, 'br-edge')).toBe(true);
    } finally {
      for (const n of [a, b, extra]) await label(n, 'ctl.knmstate.io/edge-');
    }
  });

  it('given an NNCP deleted, should remove its NNCEs within 10 s and leave no rollout running', async () => {
    expect((await s.enactments('ctl-bridge')).size).toBe(3);
    const t0 = Date.now();
    expect((await s.kubectl(['delete', 'nncp', 'ctl-bridge', '--wait=false'])).exitCode).toBe(0);
    await eventually(async () => (await s.enactments('ctl-bridge')).size === 0, 10_000, 'the NNCEs to go');
    expect(Date.now() - t0).toBeLessThan(10_000);
    const d = await s.t.client.workflow.getHandle(rolloutWorkflowId('ctl-bridge')).describe();
    expect(d.status.name).not.toBe('RUNNING');
  });

  it('given an NNCP deleted mid-rollout, should cancel the rollout and remove its NNCEs', async () => {
    await s.applyPolicy('ctl-gate', { desiredState: bridge('br-gate'), maxUnavailable: 3, rollout: { waves: [{ nodes: 1, pause: 'manual' }] } });
    await eventually(async () => (await s.policy('ctl-gate'))?.status?.rollout?.phase === 'Waiting', 30_000, 'the manual gate');
    expect((await s.kubectl(['delete', 'nncp', 'ctl-gate', '--wait=false'])).exitCode).toBe(0);
    await eventually(async () => (await s.enactments('ctl-gate')).size === 0, 10_000, 'the NNCEs to go');
    await eventually(async () => (await s.t.client.workflow.getHandle(rolloutWorkflowId('ctl-gate')).describe()).status.name === 'CANCELLED', 10_000, 'the rollout to be cancelled');
  });
});

describe('controller: replicas and restarts', () => {
  it('given two controller replicas at once, should run one rollout and apply each node once', async () => {
    const a = await s.startController();
    const b = await s.startController();
    try {
      const t0 = Date.now();
      await s.applyPolicy('ctl-twins', { desiredState: bridge('br-twins'), maxUnavailable: 1 });
      await waitAvailable('ctl-twins');
      expect(applies(t0)).toEqual(each(1));
      expect(await workflowRuns('ctl-twins')).toBe(1);
      // Both saw the policy and both signalled it: the one workflow id made the second a no-op.
      expect(a.reconciler.counts.signal + b.reconciler.counts.signal).toBe(2);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('given the controller restarted mid-rollout, should converge with each node applied once', async () => {
    const first = await s.startController();
    const t0 = Date.now();
    await s.applyPolicy('ctl-restart', { desiredState: bridge('br-restart'), maxUnavailable: 1 });
    await eventually(() => s.witness().some((e) => e.t >= t0 && e.op === 'apply' && e.what === 'start'), 30_000, 'the first apply');
    await first.stop();
    const second = await s.startController();
    try {
      await waitAvailable('ctl-restart');
      expect(applies(t0)).toEqual(each(1));
      expect(await workflowRuns('ctl-restart')).toBe(1);
    } finally {
      await second.stop();
    }
  });

  it('given a manual gate approved by annotation while the controller was down, should promote it after the restart', async () => {
    const first = await s.startController();
    const t0 = Date.now();
    await s.applyPolicy('ctl-promote', { desiredState: bridge('br-promote'), maxUnavailable: 3, rollout: { waves: [{ nodes: 1, pause: 'manual' }] } });
    await eventually(async () => (await s.policy('ctl-promote'))?.status?.rollout?.phase === 'Waiting', 30_000, 'the manual gate');
    await first.stop();
    expect(Object.values(applies(t0)).filter((n) => n > 0)).toHaveLength(1);
    expect((await s.kubectl(['annotate', 'nncp', 'ctl-promote', '--overwrite', 'nmstate.io/rollout-approved-wave=1'])).exitCode).toBe(0);
    const second = await s.startController();
    try {
      await waitAvailable('ctl-promote');
      // Every node configured (a probe failure under load may add an attempt: not counted here).
      for (const n of Object.values(applies(t0))) expect(n).toBeGreaterThanOrEqual(1);
      expect(second.reconciler.counts.promote).toBe(1);
    } finally {
      await second.stop();
    }
  });
});

describe('controller: node deleted', () => {
  it('given a matching node deleted, should delete its NNCEs and bring the policy counts down at once', async () => {
    const c = await s.startController();
    const gone = s.nodeNames[2]!;
    try {
      await waitAvailable('ctl-twins');
      expect((await s.enactments('ctl-twins')).has(gone)).toBe(true);
      expect((await s.kubectl(['delete', 'node', gone, '--wait=false'])).exitCode).toBe(0);
      await eventually(async () => !(await s.enactments('ctl-twins')).has(gone), 10_000, `the NNCE of ${gone} to go`);
      const p = await eventually(async () => {
        const x = await s.policy('ctl-twins');
        return x?.status?.rollout?.counts?.matched === 2 && x.status.rollout.phase === 'Completed' && x;
      }, 30_000, 'the counts of 2 nodes');
      expect(p.status?.conditions?.find((x) => x.type === 'Available')?.message).toBe('2/2 nodes successfully configured');
    } finally {
      await c.stop();
    }
  });
});
