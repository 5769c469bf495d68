/**
 * "Restored exactly", checked with the node's own tools and not the agent's report: the full view of
 * test/support/node-view.ts (`ip -d -j link`, every address with link-local values and flags, every
 * route of every table with protocol and metric, and in NetworkManager mode nmcli's devices and
 * profiles and the keyfiles) must be the same before a change and after the agent put the node back,
 * through the real agent process (workers/node-agent.ts) and a workflow. Three kinds of node: kernel
 * mode; NetworkManager mode on a node whose eth0 NetworkManager did not manage (configured with `ip`,
 * `connected (externally)`); NetworkManager mode with eth0 NetworkManager's own keyfile profile, as on
 * most real nodes. See docs/restore.md.
 */
import { describe, expect, it, beforeAll } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { ApplyFailureDetails, ApplyNodeStateResult, RevertNodeStateResult } from '../../activities/node/index.ts';
import { nodeView, type NodeView } from '../support/node-view.ts';
import { callNode, type NodeCall, type NodeCallOutcome } from './workflows.ts';
import { useAgentProcesses, type AgentProcessSuite } from './agent-process.ts';
import type { NodeMode } from '../../hack/cluster/nodes.ts';

/** eth0 readdressed (IPv4 and IPv6) and the default route sent to a gateway that does not exist: the ping probe fails. */
const brokenGateway = {
  interfaces: [
    {
      name: 'eth0',
      type: 'veth',
      state: 'up',
      ipv4: { enabled: true, dhcp: false, address: [{ ip: '198.51.100.201', 'prefix-length': 24 }] },
      ipv6: { enabled: true, dhcp: false, autoconf: false, address: [{ ip: '2001:db8:7::1', 'prefix-length': 64 }] },
    },
  ],
  routes: { config: [{ destination: '0.0.0.0/0', state: 'absent' }, { destination: '0.0.0.0/0', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.254' }] },
};
/** Only the default route removed, by destination: no interface named (nmstate changes eth0's profile to remove it). */
const noDefaultRoute = { routes: { config: [{ destination: '0.0.0.0/0', state: 'absent' }] } };
/** A static address on eth1 (the policy a later one builds on). */
const eth1Static = { interfaces: [{ name: 'eth1', type: 'veth', state: 'up', ipv4: { enabled: true, dhcp: false, address: [{ ip: '203.0.113.41', 'prefix-length': 24 }] } }] };
/** A route via eth1 and a static address on eth2. */
const routeAndEth2 = {
  interfaces: [{ name: 'eth2', type: 'veth', state: 'up', ipv4: { enabled: true, dhcp: false, address: [{ ip: '203.0.113.42', 'prefix-length': 24 }] } }],
  routes: { config: [{ destination: '203.0.113.128/25', 'next-hop-interface': 'eth1', 'next-hop-address': '203.0.113.1', metric: 150 }] },
};

/** Two policies with a route via eth0 each: the second re-applies eth0's profile in NetworkManager mode. */
const viaEth0 = (dst: string) => ({ routes: { config: [{ destination: dst, 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.1', metric: 150 }] } });
/** NetworkManager's second IPv6 link-local prefix route on eth0, at eth0's own metric (docs/restore.md, known differences). */
const NM_STRAY_LINK_LOCAL_ROUTE = /^table=main fe80::\/64 dev eth0 proto=kernel metric=(?!1024 )\d+ scope=global type=unicast$/;

async function call(p: AgentProcessSuite, c: NodeCall): Promise<NodeCallOutcome> {
  return p.s.t.client.workflow.execute(callNode, { taskQueue: p.queue(), workflowId: `restore-exact-${randomUUID()}`, args: [p.node().name, c, { maximumAttempts: 1 }] });
}

async function ok<T>(r: Promise<NodeCallOutcome>): Promise<T> {
  const out = await r;
  if (!out.ok) throw new Error(`activity failed: ${JSON.stringify(out)}`);
  return out.result as T;
}

function scenarios(group: string, mode: NodeMode, label: string, opts: { mgmtProfile?: boolean } = {}): void {
  describe(`restored exactly (${label})`, () => {
    const p = useAgentProcesses(group, mode, opts);
    const view = (): Promise<NodeView> => nodeView(p.node(), p.s.t.cluster.run);
    beforeAll(async () => {
      await p.startAgent();
    }, 60_000);

    it(`given a policy that breaks the gateway on a ${label} node, should fail with ProbeFailed and leave the full view (ip -d link, addresses with link-local, routes with protocol and metric${mode === 'networkmanager' ? ', nmcli devices and profiles, keyfiles' : ''}) equal to before`, async () => {
      const before = await view();
      const r = await call(p, { activity: 'applyNodeState', input: { policy: 'bad-gw', generation: 1, desiredState: brokenGateway } });
      expect(r).toMatchObject({ ok: false, type: 'ProbeFailed' });
      if (r.ok) return;
      expect((r.details as ApplyFailureDetails).remainingDifferences).toEqual([]);
      expect(await view()).toEqual(before);
    });

    // Kernel mode: nmstatectl -k leaves a route it did not add (proto boot) and its verification says so.
    const noDefaultFailure = mode === 'kernel' ? { type: 'VerificationFailed', message: expect.stringMatching(/^Desired absent route .*0\.0\.0\.0\/0 still found after apply/) } : { type: 'ProbeFailed' };
    it(`given a policy with only a route entry that removes the default route (no interface named) on a ${label} node, should fail with ${noDefaultFailure.type} and leave the full view equal to before (eth0's default route with its protocol and metric${mode === 'networkmanager' && !opts.mgmtProfile ? ', eth0 connected externally with no profile on disk' : ''})`, async () => {
      const before = await view();
      // The node's own default route: the kernel's (`ip route add`) unless eth0 has a NetworkManager profile.
      expect(before.routes).toContain(`table=main default via 198.51.100.1 dev eth0 ${opts.mgmtProfile ? 'proto=static metric=100' : 'proto=boot metric=0'} scope=global type=unicast`);
      const r = await call(p, { activity: 'applyNodeState', input: { policy: 'no-default', generation: 1, desiredState: noDefaultRoute } });
      expect(r).toMatchObject({ ok: false, ...noDefaultFailure });
      if (r.ok) return;
      expect((r.details as ApplyFailureDetails).remainingDifferences).toEqual([]);
      expect(await view()).toEqual(before);
    });

    it(`given a route and an address applied on top of an earlier policy on a ${label} node, should revert each in turn back to the full view before it`, async () => {
      const initial = await view();
      await ok<ApplyNodeStateResult>(call(p, { activity: 'applyNodeState', input: { policy: 'eth1', generation: 1, desiredState: eth1Static } }));
      const withEth1 = await view();
      expect(withEth1.addresses.some((l) => l.startsWith('eth1 inet 203.0.113.41/24 scope=global'))).toBe(true);
      await ok<ApplyNodeStateResult>(call(p, { activity: 'applyNodeState', input: { policy: 'route', generation: 1, desiredState: routeAndEth2 } }));
      expect((await view()).routes.some((l) => l.startsWith('table=main 203.0.113.128/25 via 203.0.113.1 dev eth1'))).toBe(true);

      const rev2 = await ok<RevertNodeStateResult>(call(p, { activity: 'revertNodeState', input: { policy: 'route', generation: 1 } }));
      expect(rev2.reverted).toBe(true);
      expect(await view()).toEqual(withEth1);
      const rev1 = await ok<RevertNodeStateResult>(call(p, { activity: 'revertNodeState', input: { policy: 'eth1', generation: 1 } }));
      expect(rev1.reverted).toBe(true);
      expect(await view()).toEqual(initial);
    });

    const nmManagesEth0 = !!opts.mgmtProfile;
    it(
      nmManagesEth0
        ? `given two policies with a route via eth0 on a ${label} node, should revert both to the full view before them except eth0's profile, which nmstate wrote out in full, and NetworkManager's second fe80::/64 route on eth0 (known remaining differences)`
        : `given two policies with a route via eth0 on a ${label} node, should revert both to the full view before them`,
      async () => {
        const initial = await view();
        await ok<ApplyNodeStateResult>(call(p, { activity: 'applyNodeState', input: { policy: 'via-eth0-a', generation: 1, desiredState: viaEth0('203.0.113.128/26') } }));
        await ok<ApplyNodeStateResult>(call(p, { activity: 'applyNodeState', input: { policy: 'via-eth0-b', generation: 1, desiredState: viaEth0('203.0.113.192/26') } }));
        expect((await ok<RevertNodeStateResult>(call(p, { activity: 'revertNodeState', input: { policy: 'via-eth0-b', generation: 1 } }))).reverted).toBe(true);
        expect((await ok<RevertNodeStateResult>(call(p, { activity: 'revertNodeState', input: { policy: 'via-eth0-a', generation: 1 } }))).reverted).toBe(true);
        const after = await view();
        if (!nmManagesEth0) {
          expect(after).toEqual(initial);
          return;
        }
        const profile = 'etc/eth0.nmconnection';
        // Everything but eth0's profile text and NetworkManager's link-local prefix route.
        expect({ ...after, routes: [], keyfiles: { ...after.keyfiles, [profile]: '' } }).toEqual({ ...initial, routes: [], keyfiles: { ...initial.keyfiles, [profile]: '' } });
        expect(initial.routes.filter((r) => !after.routes.includes(r))).toEqual([]);
        const extra = after.routes.filter((r) => !initial.routes.includes(r));
        expect(extra).toHaveLength(1);
        expect(extra[0]).toMatch(NM_STRAY_LINK_LOCAL_ROUTE);
        // nmstate wrote eth0's profile out in full on the first apply (default route with its metric, IPv6 'manual'
        // with the link-local address); a revert through nmstate puts the state back, not the profile's settings.
        expect(initial.keyfiles?.[profile]).not.toMatch(/^route1=/m);
        expect(after.keyfiles?.[profile]).toMatch(/^route1=0\.0\.0\.0\/0,198\.51\.100\.1,\d+$/m);
      },
    );
  });
}

scenarios('exact-k', 'kernel', 'kernel-mode');
scenarios('exact-nm', 'networkmanager', 'NetworkManager-mode, eth0 not managed by NetworkManager');
scenarios('exact-nmp', 'networkmanager', 'NetworkManager-mode, eth0 with a NetworkManager profile', { mgmtProfile: true });
