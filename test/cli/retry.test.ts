/**
 * `kubectl nmstate retry` on the real parts: a rollout halts because the node lacks the port its
 * bridge needs; once the port exists, retry re-runs the stopped rollout and only the nodes not
 * configured are applied (counted on the nodes' side).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { runInNode } from '../../hack/cluster/nodes.ts';
import { appliesPerNode, eventually, testPolicy, useRollout } from '../rollout/support.ts';
import { runCli } from './run-cli.ts';

const GROUP = 'clr';
const s = useRollout(GROUP, 3, { nodeMode: 'kernel' });
const env = () => ({ KUBECONFIG: s.t.cluster.info.kube.kubeconfig, TEMPORAL_ADDRESS: s.t.cluster.info.temporal.address, TEMPORAL_NAMESPACE: s.t.cluster.info.temporal.namespace });
const node = (name: string) => s.t.nodes.nodes.find((n) => n.name === name)!;

/** Gives a node the port eth9 (a veth pair whose peer is up, so the bridge gets a carrier). */
async function addPort(name: string): Promise<void> {
  const n = node(name);
  for (const args of [['link', 'add', 'eth9', 'type', 'veth', 'peer', 'name', 'eth9p'], ['link', 'set', 'eth9p', 'up']]) {
    const r = await runInNode(n, 'ip', args);
    if (r.exitCode !== 0) throw new Error(`ip ${args.join(' ')} in ${name}: ${String(r.stderr)}`);
  }
}

afterAll(async () => {
  for (const n of s.t.nodes.nodes) await runInNode(n, 'ip', ['link', 'del', 'eth9']);
});

describe('kubectl nmstate retry', () => {
  it('given a rollout halted by a missing port, should re-run only the nodes not configured once the cause is fixed', async () => {
    const policy = `clr-retry-${s.t.cluster.run.id}`;
    // eth9 exists on the first node only: it succeeds, the second fails, the third is aborted.
    await addPort(s.nodeNames[0]!);
    const spec = testPolicy(GROUP, { desiredState: { interfaces: [{ name: 'br-retry', type: 'linux-bridge', state: 'up', bridge: { port: [{ name: 'eth9' }] } }] }, maxUnavailable: 1, rollout: { maxFailures: 0 } });
    const meta = await s.applyPolicy(policy, spec);
    const first = await (await s.startRollout(policy, spec, meta)).result();
    expect(first).toMatchObject({ phase: 'Halted', counts: { succeeded: 1, failed: 1, aborted: 1 } });

    const notStopped = await runCli(['retry', `${policy}-missing`], env());
    expect(notStopped.code).toBe(4);

    for (const n of s.nodeNames.slice(1)) await addPort(n);
    const t0 = Date.now();
    const r = await runCli(['retry', policy], env());
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 node\(s\) to apply again/);
    const p = await eventually(async () => {
      const x = await s.progress(policy);
      return x.phase === 'Completed' && x;
    }, 60_000, 'the retried rollout to complete');
    expect(p.counts).toMatchObject({ succeeded: 3, failed: 0, aborted: 0 });
    const applied = appliesPerNode(s.witness().filter((e) => e.t >= t0));
    expect([...applied.keys()].sort()).toEqual(s.nodeNames.slice(1).map((n) => node(n).netns).sort());

    const again = await runCli(['retry', policy], env());
    expect(again.out).toMatch(/ended Completed: nothing to retry/);
  });
});
