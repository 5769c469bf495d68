/**
 * What admission leaves to the rollout, on the real parts (apiserver, Temporal, the rollout workflow
 * with the cluster activities, a simulated node with its agent and the real nmstatectl behind the
 * witness): a desiredState CEL cannot judge but validateDesiredState refuses halts the rollout before
 * any node is touched and makes the policy Degraded with the field path and the rule; what depends on
 * the node (is there an interface of that name, what type is it) is decided on the node, per node.
 */
import { describe, expect, it } from '@jest/globals';
import { runInNode } from '../../hack/cluster/nodes.ts';
import { appliesPerNode, eventually, testPolicy, useRollout } from '../rollout/support.ts';

const GROUP = 'dsr';
const s = useRollout(GROUP, 1, { nodeMode: 'kernel' });

// Names of this run only: a policy left by an earlier run on a reused cluster would count as applied.
const RUN = Date.now().toString(36);
const since = (t0: number) => s.witness().filter((e) => e.t >= t0);
const degraded = async (name: string) => (await s.policyObject(name)).status?.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True');

describe('desiredState the apiserver accepts', () => {
  it('given a state only validateDesiredState refuses (an unknown bond mode), should halt before any node and make the policy Degraded naming the field and the rule', async () => {
    const t0 = Date.now();
    const spec = testPolicy(GROUP, { desiredState: { interfaces: [{ name: 'bond7', type: 'bond', state: 'up', 'link-aggregation': { mode: 'round-robin', port: ['eth1'] } }] } });
    const meta = await s.applyPolicy(`dsr-invalid-${RUN}`, spec);
    const h = await s.startRollout(`dsr-invalid-${RUN}`, spec, meta);
    const out = await h.result();
    const halted = Date.now() - t0;
    expect(out.phase).toBe('Halted');
    const cond = await eventually(() => degraded(`dsr-invalid-${RUN}`), 10_000, 'policy Degraded');
    expect(cond.message).toContain('InvalidPolicy: invalid desiredState: interfaces[0].link-aggregation.mode: "round-robin" is not one of balance-rr, active-backup');
    expect(cond.message).toContain('no node was touched');
    expect(since(t0).filter((e) => e.op === 'apply')).toEqual([]);
    // Retried: on a fresh apiserver the first NNCE list may answer 429 while its watch cache fills.
    const { list } = await eventually(async () => ({ list: await s.enactments(`dsr-invalid-${RUN}`) }), 10_000, 'the NNCE list');
    expect(list).toEqual([]);
    // The bar is "within a second" on an idle machine; two shared cores get some slack.
    expect(halted).toBeLessThan(5_000);
    console.log(`invalid desiredState: rollout halted ${halted} ms after the policy was created`);
  });

  it('given an existing interface named without its type and scalars quoted as nmstate allows, should apply it on the node (nmstate takes the type from there)', async () => {
    const t0 = Date.now();
    const spec = testPolicy(GROUP, { desiredState: { interfaces: [{ name: 'eth2', ipv4: { enabled: 'true', dhcp: 'no', address: [{ ip: '192.0.2.77', 'prefix-length': '24' }] } }] } });
    const meta = await s.applyPolicy(`dsr-name-only-${RUN}`, spec);
    const out = await (await s.startRollout(`dsr-name-only-${RUN}`, spec, meta)).result();
    expect(out.counts).toMatchObject({ succeeded: 1, failed: 0 });
    const node = s.t.nodes.nodes[0]!;
    expect((await runInNode(node, 'ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth2'])).stdout).toContain('192.0.2.77/24');
    expect(appliesPerNode(since(t0)).size).toBe(1);
  });

  it('given an interface named without its type that the node does not have, should fail that node with InvalidDesiredState (decided on the node, not at admission)', async () => {
    const spec = testPolicy(GROUP, { desiredState: { interfaces: [{ name: 'eth9', state: 'up' }] }, rollout: { maxFailures: 0 } });
    const meta = await s.applyPolicy(`dsr-missing-${RUN}`, spec);
    const out = await (await s.startRollout(`dsr-missing-${RUN}`, spec, meta)).result();
    expect(out.phase).toBe('Halted');
    expect(out.counts).toMatchObject({ failed: 1, succeeded: 0 });
    const failed = (await s.progress(`dsr-missing-${RUN}`)).nodes.find((n) => n.phase === 'Failed')!;
    expect(failed.lastErrorType).toBe('InvalidDesiredState');
    expect(failed.lastError).toContain('eth9');
  });
});
