/**
 * The node activities on a simulated node, called through the real Temporal server by a workflow,
 * with the real nmstatectl inside the node's namespace, in either node mode (apply.test.ts: kernel,
 * apply-nm.test.ts: NetworkManager, the production path): apply with probes, rollback (kernel: the
 * agent's exact restore; NetworkManager: its checkpoint), revert, captures, plan, the fail-fast on
 * link kinds the kernel cannot create, and the states only NetworkManager mode can do. After every
 * failure the node must equal its state before, as iproute2 and nmstatectl each report it.
 */
import { describe, expect, it } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { runInNode, type NodeMode } from '../../hack/cluster/nodes.ts';
import { activeCheckpoints } from '../../hack/cluster/networkmanager.ts';
import { eventually } from '../../hack/cluster/wait.ts';
import { NNS } from '../../crd/nns.ts';
import type { ApplyFailureDetails, ApplyNodeStateResult, PlanNodeResult, RevertNodeStateResult } from '../../activities/node/index.ts';
import { ipView, nmView, okResult, useAgents } from './support.ts';
import { bridgeState } from '../../hack/fixtures/bridge.ts';

const bridge = (name: string, port: string, ip: string) => bridgeState({ name, port, ip });

const ok = okResult;

/** The apply scenarios on one node of `group`, in `mode`. */
export function applyScenarios(group: string, mode: NodeMode): void {
  const nm = mode === 'networkmanager';
  const s = useAgents(group, 1, { nodeMode: mode });
  const node = () => s.t.nodes.nodes[0]!;
  const views = async () => ({ ip: await ipView(node(), { ignoreNmRuntime: nm }), nm: await nmView(node(), s.t.cluster.tools.nmstatectl, { ignoreNmRuntime: nm }) });
  /** NetworkManager mode: no checkpoint may be left pending after an activity. */
  const noCheckpoint = async () => {
    if (nm) expect(await activeCheckpoints(node())).toEqual([]);
  };

  describe(`node agent (${mode} mode): apply, rollback and revert through the real nmstatectl`, () => {
    it('given a linux bridge over eth1 with a static IP, should apply it, report probes and timings, refresh NodeNetworkState at once, and revert it exactly', async () => {
      const before = await views();
      const res = await ok<ApplyNodeStateResult>(s.call(node().name, { activity: 'applyNodeState', input: { policy: 'br1-policy', generation: 1, desiredState: bridge('br1', 'eth1', '203.0.113.21') } }));
      expect(res.outcome).toBe('applied');
      expect(res.diff.interfaces.create).toEqual(['br1']);
      // NetworkManager mode: the simulated NetworkManager runs with dns=none, so nmstate reports no running DNS server to probe.
      expect(res.probes.filter((p) => p.selected).map((p) => p.name).sort()).toEqual(nm ? ['api-server', 'node-readiness', 'ping'] : ['api-server', 'dns', 'node-readiness', 'ping']);
      if (nm) expect(res.checkpointTimeoutSeconds).toBe(3 + 30);
      await noCheckpoint();
      expect(res.probes.every((p) => !p.selected || p.after?.ok)).toBe(true);
      expect(res.durations.nmstatectlMs).toBeGreaterThan(0);

      const after = await ipView(node());
      expect(after.addrs).toContain('br1 203.0.113.21/24 global');
      expect(after.links).toContain('eth1 up master=br1');

      // NodeNetworkState is refreshed right after the apply, not at the next 60 s tick.
      const custom = s.t.kc.makeApiClient(CustomObjectsApi);
      await eventually(
        async () => {
          const nns = (await custom.getClusterCustomObject({ group: NNS.group, version: NNS.version, plural: NNS.plural, name: node().name })) as { status?: { currentState?: { interfaces?: { name: string }[] } } };
          return nns.status?.currentState?.interfaces?.some((i) => i.name === 'br1');
        },
        { timeoutMs: 5_000, what: 'br1 in NodeNetworkState' },
      );

      const rev = await ok<RevertNodeStateResult>(s.call(node().name, { activity: 'revertNodeState', input: { policy: 'br1-policy', generation: 1 } }));
      expect(rev.reverted).toBe(true);
      expect(await views()).toEqual(before);
      // A second revert finds no record: nothing to do, not an error.
      const again = await ok<RevertNodeStateResult>(s.call(node().name, { activity: 'revertNodeState', input: { policy: 'br1-policy', generation: 1 } }));
      expect(again).toMatchObject({ reverted: false });
    });

    it('given static routes added and then removed, should change exactly those routes', async () => {
      const before = await views();
      const route = { destination: '203.0.113.128/25', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.1', metric: 150 };
      const add = await ok<ApplyNodeStateResult>(s.call(node().name, { activity: 'applyNodeState', input: { policy: 'routes', generation: 1, desiredState: { routes: { config: [route] } } } }));
      expect(add.diff.routes.add).toEqual(['203.0.113.128/25 via 198.51.100.1 dev eth0 table 254 metric 150']);
      expect((await ipView(node())).routes).toContain('203.0.113.128/25 via 198.51.100.1 dev eth0 metric 150');

      const del = await ok<ApplyNodeStateResult>(s.call(node().name, { activity: 'applyNodeState', input: { policy: 'routes', generation: 2, desiredState: { routes: { config: [{ ...route, state: 'absent' }] } } } }));
      expect(del.diff.routes.remove).toEqual(['203.0.113.128/25 via 198.51.100.1 dev eth0 table 254 metric 150']);
      expect(await views()).toEqual(before);
    });

    it("given a change that breaks eth0's default gateway, should fail the ping probe, roll back, and leave the node equal to its snapshot (ip and nmstatectl)", async () => {
      const before = await views();
      const r = await s.call(node().name, {
        activity: 'applyNodeState',
        input: {
          policy: 'bad-gw',
          generation: 1,
          desiredState: {
            interfaces: [{ name: 'eth0', type: 'veth', state: 'up', ipv4: { enabled: true, dhcp: false, address: [{ ip: '198.51.100.201', 'prefix-length': 24 }] }, ipv6: { enabled: true, dhcp: false, autoconf: false, address: [{ ip: '2001:db8:7::1', 'prefix-length': 64 }] } }],
            routes: { config: [{ destination: '0.0.0.0/0', state: 'absent' }, { destination: '0.0.0.0/0', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.254' }] },
          },
        },
      });
      expect(r).toMatchObject({ ok: false, type: 'ProbeFailed', nonRetryable: false });
      if (r.ok) return;
      expect(r.message).toMatch(/^rolling back desired state configuration: failed runnig probes after network changes: failed runnig probe 'ping'/);
      const d = r.details as ApplyFailureDetails;
      expect(d.rolledBack).toBe(true);
      expect(d.remainingDifferences).toEqual([]);
      // Kernel mode: the agent's own exact restore; NetworkManager mode: the checkpoint, which is authoritative.
      // NetworkManager mode: the checkpoint first; then whatever it does not put back (an eth0 it did not manage before is handed back: docs/restore.md).
      if (nm) expect(d.restoreActions?.[0]).toBe('nmstatectl rollback');
      else expect(d.restoreActions).toEqual(expect.arrayContaining(['remove route 0.0.0.0/0 via 198.51.100.254 dev eth0 table 254', 'add route 0.0.0.0/0 via 198.51.100.1 dev eth0 table 254']));
      await noCheckpoint();
      expect(d.probes?.find((p) => p.name === 'ping')?.afterRollback?.ok).toBe(true);
      expect(await views()).toEqual(before);
      expect((await runInNode(node(), s.t.cluster.tools.ping, ['-c', '1', '-W', '1', '198.51.100.1'])).exitCode).toBe(0);
    });

    it('given an interface that does not exist, should fail with a clear non-retryable InvalidDesiredState and change nothing', async () => {
      const before = await views();
      const r = await s.call(node().name, { activity: 'applyNodeState', input: { policy: 'eth9', generation: 1, desiredState: { interfaces: [{ name: 'eth9', type: 'ethernet', state: 'up' }] } } }, { maximumAttempts: 3 });
      expect(r).toMatchObject({ ok: false, type: 'InvalidDesiredState', nonRetryable: true });
      if (r.ok) return;
      expect(r.message).toMatch(/Ethernet interface eth9 does not exists/);
      expect(await views()).toEqual(before);
    });

    it('given a malformed desired state, should name the field and the rule before touching the node', async () => {
      const r = await s.call(node().name, { activity: 'applyNodeState', input: { policy: 'typo', generation: 1, desiredState: { interfaces: [{ name: 'eth1', type: 'ethernet', state: 'upp' }] } } });
      expect(r).toMatchObject({ ok: false, type: 'InvalidDesiredState', nonRetryable: true });
      if (r.ok) return;
      expect((r.details as ApplyFailureDetails).problems).toEqual([expect.objectContaining({ path: 'interfaces[0].state', rule: 'interface-state' })]);
    });

    // Kernel mode only: NetworkManager activates a bridge whose only port has no carrier, and nmstate verifies it as up.
    if (!nm) it('given a bridge whose port never comes up, should fail nmstate verification and leave nothing behind', async () => {
      const n = node();
      await s.t.nodes.inFabric('ip', ['link', 'set', `b${n.index}`, 'down']);
      try {
        await eventually(async () => String((await runInNode(n, 'ip', ['link', 'show', 'eth2'])).stdout).includes('NO-CARRIER'), { timeoutMs: 5_000, what: 'eth2 without carrier' });
        const before = await views();
        // eth2 listed as up: nmstate verifies it (and the bridge) and finds them down.
        const desiredState = { interfaces: [...bridge('br2', 'eth2', '203.0.113.22').interfaces, { name: 'eth2', type: 'veth', state: 'up' }] };
        const r = await s.call(n.name, { activity: 'applyNodeState', input: { policy: 'dead-port', generation: 1, desiredState } });
        expect(r).toMatchObject({ ok: false, type: 'VerificationFailed', nonRetryable: false });
        if (r.ok) return;
        expect(r.message).toMatch(/Verification failure: .*desire '"up"', current '"down"'/);
        expect((r.details as ApplyFailureDetails).restoreActions).toContain('remove interface br2 (linux-bridge)');
        expect(await views()).toEqual(before);
      } finally {
        await s.t.nodes.inFabric('ip', ['link', 'set', `b${n.index}`, 'up']);
      }
    });

    it("given captures, should render them against the node's real state in the plan and the apply, and return the captured states", async () => {
      const before = await views();
      const capture = { gw: 'routes.running.destination=="0.0.0.0/0"', 'base-iface': 'interfaces.name==capture.gw.routes.running.0.next-hop-interface' };
      const desiredState = {
        routes: { config: [{ destination: '203.0.113.128/25', 'next-hop-interface': '{{ capture.gw.routes.running.0.next-hop-interface }}', 'next-hop-address': '{{ capture.gw.routes.running.0.next-hop-address }}' }] },
      };
      const plan = await ok<PlanNodeResult>(s.call(node().name, { activity: 'planNode', input: { desiredState, capture } }));
      expect(plan.renderedState).toMatchObject({ routes: { config: [{ destination: '203.0.113.128/25', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.1' }] } });
      expect(plan.diff.routes.add).toEqual(['203.0.113.128/25 via 198.51.100.1 dev eth0 table 254']);
      expect(Object.keys(plan.capturedStates).sort()).toEqual(['base-iface', 'gw']);
      expect(await views()).toEqual(before);

      const res = await ok<ApplyNodeStateResult>(s.call(node().name, { activity: 'applyNodeState', input: { policy: 'captured', generation: 1, desiredState, capture, capturedStates: plan.capturedStates } }));
      expect(res.capturedStates.gw?.state).toEqual(plan.capturedStates.gw?.state);
      expect((await ipView(node())).routes).toContain('203.0.113.128/25 via 198.51.100.1 dev eth0 metric 0');
      await ok<RevertNodeStateResult>(s.call(node().name, { activity: 'revertNodeState', input: { policy: 'captured', generation: 1 } }));
      expect(await views()).toEqual(before);
    });

    it('given a capture nmpolicy cannot evaluate, should fail as non-retryable CaptureRenderFailed with the upstream message', async () => {
      const r = await s.call(node().name, { activity: 'applyNodeState', input: { policy: 'bad-capture', generation: 1, capture: { x: 'dns-resolver.running.server=="198.51.100.1"' }, desiredState: { interfaces: [] } } });
      expect(r).toMatchObject({ ok: false, type: 'CaptureRenderFailed', nonRetryable: true });
      if (r.ok) return;
      expect(r.message).toMatch(/^failure generating desiredState and capturedStates: Unsupported capture keyword 'dns-resolver'/);
    });

    it("given a bond over eth1 and eth2 (checked with nmstatectl's own validation only: this kernel has no bonding module), should plan it as a new interface and reject an unknown bond mode", async () => {
      const bond = (mode: string) => ({ interfaces: [{ name: 'bond0', type: 'bond', state: 'up', 'link-aggregation': { mode, options: { miimon: '140' }, port: ['eth1', 'eth2'] } }] });
      const plan = await ok<PlanNodeResult>(s.call(node().name, { activity: 'planNode', input: { desiredState: bond('balance-rr') } }));
      expect(plan.diff.interfaces.create).toEqual(['bond0']);
      const bad = await s.call(node().name, { activity: 'planNode', input: { desiredState: bond('balance-bogus') } });
      expect(bad).toMatchObject({ ok: false, type: 'InvalidDesiredState', nonRetryable: true });
    });

    it("given a VLAN on eth1 (checked with nmstatectl's own validation only: this kernel has no 8021q module), should plan it as a new interface and reject an out-of-range id", async () => {
      const vlan = (id: number) => ({ interfaces: [{ name: 'eth1.102', type: 'vlan', state: 'up', vlan: { 'base-iface': 'eth1', id } }] });
      const plan = await ok<PlanNodeResult>(s.call(node().name, { activity: 'planNode', input: { desiredState: vlan(102) } }));
      expect(plan.diff.interfaces.create).toEqual(['eth1.102']);
      const r = await s.call(node().name, { activity: 'planNode', input: { desiredState: vlan(5000) } });
      expect(r).toMatchObject({ ok: false, type: 'InvalidDesiredState' });
    });

    it("given a VLAN applied on this kernel without the 8021q module, should fail fast (before nmstatectl) as non-retryable UnsupportedDesiredState naming the field, the kind and the module, and leave the node unchanged", async () => {
      const before = await views();
      const t0 = performance.now();
      const r = await s.call(node().name, { activity: 'applyNodeState', input: { policy: 'vlan', generation: 1, desiredState: { interfaces: [{ name: 'eth1.102', type: 'vlan', state: 'up', vlan: { 'base-iface': 'eth1', id: 102 } }] } } }, { maximumAttempts: 3 });
      const ms = performance.now() - t0;
      process.stderr.write(`[${mode}] unsupported vlan: the agent failed after ${Math.round(ms)} ms (workflow round trip included)\n`);
      expect(r).toMatchObject({ ok: false, type: 'UnsupportedDesiredState', nonRetryable: true });
      if (r.ok) return;
      expect(r.message).toMatch(/interfaces\[0\]\.type: node \S+'s kernel cannot create vlan interface eth1\.102 \(link kind 'vlan' unknown to the kernel: Error: Unknown device type\.; the 8021q module is missing\); nothing was changed$/);
      const d = r.details as ApplyFailureDetails;
      expect(d.rolledBack).toBe(false);
      expect(d.problems).toEqual([expect.objectContaining({ path: 'interfaces[0].type', rule: 'kernel-link-kind' })]);
      // nmstatectl in NetworkManager mode needs ~126 s to fail on this (activation retries); the agent must not get near it.
      expect(ms).toBeLessThan(5_000);
      expect(await views()).toEqual(before);
      await noCheckpoint();
    });

    it(`given a new bridge with IPv6 disabled and MTU 1400 on it and its port, should ${nm ? 'apply and commit both' : 'fail verification (kernel mode cannot disable IPv6 on a new bridge nor set this MTU) and leave the node clean'}`, async () => {
      const before = await views();
      const desiredState = {
        interfaces: [
          { ...bridge('br6', 'eth2', '203.0.113.26').interfaces[0], mtu: 1400, ipv6: { enabled: false } },
          { name: 'eth2', type: 'veth', state: 'up', mtu: 1400 },
        ],
      };
      const r = await s.call(node().name, { activity: 'applyNodeState', input: { policy: 'v6off-mtu', generation: 1, desiredState } });
      if (!nm) {
        expect(r).toMatchObject({ ok: false, type: 'VerificationFailed' });
        if (!r.ok) expect((r.details as ApplyFailureDetails).remainingDifferences).toEqual([]);
        expect(await views()).toEqual(before);
        return;
      }
      expect(r).toMatchObject({ ok: true });
      await noCheckpoint();
      const link = async (dev: string) => String((await runInNode(node(), 'ip', ['-d', 'link', 'show', dev])).stdout);
      expect(await link('br6')).toMatch(/ mtu 1400 /);
      expect(await link('eth2')).toMatch(/ mtu 1400 .*master br6/);
      const v6 = await runInNode(node(), 'ip', ['-6', 'addr', 'show', 'dev', 'br6']);
      expect(String(v6.stdout).trim()).toBe('');
      await ok<RevertNodeStateResult>(s.call(node().name, { activity: 'revertNodeState', input: { policy: 'v6off-mtu', generation: 1 } }));
      expect(await views()).toEqual(before);
    });
  });
}
