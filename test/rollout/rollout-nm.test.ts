/**
 * The rollout on NetworkManager-mode nodes (the production path: checkpoints, keyfiles): a bridge over
 * eth1 rolls out to every node; a policy that breaks the gateway fails on the first node, which
 * NetworkManager's checkpoint puts back, the rest are Aborted, and with onFailure: rollback nothing of
 * the policy stays anywhere. Checked with `ip` inside the nodes.
 */
import { describe, expect, it } from '@jest/globals';
import { runInNode } from '../../hack/cluster/nodes.ts';
import { appliesPerNode, maxConcurrent, testPolicy, useRollout } from './support.ts';

const GROUP = 'rnm';
const s = useRollout(GROUP, 3, { nodeMode: 'networkmanager' });

async function ip(node: string, args: string[]): Promise<string> {
  const n = s.t.nodes.nodes.find((x) => x.name === node)!;
  const r = await runInNode(n, 'ip', args);
  return String(r.stdout);
}

describe('rollout on NetworkManager nodes', () => {
  it('given a bridge over eth1 for 3 nodes and maxUnavailable 2, should configure every node through checkpoints, 2 at most at once', async () => {
    const t0 = Date.now();
    const spec = testPolicy(GROUP, {
      desiredState: { interfaces: [{ name: 'br-nm', type: 'linux-bridge', state: 'up', ipv4: { enabled: false }, ipv6: { enabled: false }, bridge: { options: { stp: { enabled: false } }, port: [{ name: 'eth1' }] } }] },
      maxUnavailable: 2,
    });
    const meta = await s.applyPolicy('rnm-bridge', spec);
    const out = await (await s.startRollout('rnm-bridge', spec, meta)).result();
    expect(out).toMatchObject({ phase: 'Completed', counts: { succeeded: 3, failed: 0 } });
    for (const n of s.nodeNames) expect(await ip(n, ['-o', 'link', 'show', 'dev', 'eth1'])).toContain('master br-nm');
    const w = s.witness().filter((e) => e.t >= t0);
    expect(maxConcurrent(w)).toBeLessThanOrEqual(2);
    expect([...appliesPerNode(w).values()]).toEqual([1, 1, 1]);
  });

  it('given a policy that removes the default gateway and onFailure rollback, should fail the first node, abort the rest and leave every default route in place', async () => {
    const before = await Promise.all(s.nodeNames.map((n) => ip(n, ['-4', 'route', 'show', 'default'])));
    const spec = testPolicy(GROUP, {
      desiredState: { routes: { config: [{ destination: '0.0.0.0/0', state: 'absent' }] } },
      maxUnavailable: 1,
      rollout: { maxFailures: 0, onFailure: 'rollback' },
    });
    const meta = await s.applyPolicy('rnm-nogw', spec);
    const out = await (await s.startRollout('rnm-nogw', spec, meta)).result();
    expect(out.phase).toBe('RolledBack');
    expect(out.counts).toMatchObject({ failed: 1, aborted: 2, succeeded: 0 });
    const p = await s.progress('rnm-nogw');
    expect(p.nodes.find((n) => n.phase === 'Failed')?.lastErrorType).toBe('ProbeFailed');
    const after = await Promise.all(s.nodeNames.map((n) => ip(n, ['-4', 'route', 'show', 'default'])));
    expect(after.map((r) => r.includes('default via 198.51.100.1'))).toEqual(before.map((r) => r.includes('default via 198.51.100.1')));
    expect(after.every((r) => r.includes('default via 198.51.100.1'))).toBe(true);
  });
});
