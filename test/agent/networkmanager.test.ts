/**
 * What only NetworkManager mode can show, through the agent (real Temporal, real nmstatectl, a real
 * NetworkManager per node): a committed state persists in keyfiles and comes back after a restart;
 * DHCP on eth1 from the fabric's dnsmasq (the upstream dhcp example); a leftover checkpoint is rolled
 * back before the next apply; NetworkManager's own failures come back typed (D-Bus unavailable,
 * CheckpointConflict, Not active checkpoints).
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DHCP_RANGE, runInNode } from '../../hack/cluster/nodes.ts';
import { activeCheckpoints, nodeNmDir, runNmInNode } from '../../hack/cluster/networkmanager.ts';
import { eventually } from '../../hack/cluster/wait.ts';
import { NmstateCommandError } from '../../activities/nmstate/errors.ts';
import { NodeAgent } from '../../activities/node/agent.ts';
import type { ApplyFailureDetails, ApplyNodeStateResult, RevertNodeStateResult } from '../../activities/node/index.ts';
import { ipView, nmView, okResult, useAgents } from './support.ts';
import { bridgeState } from '../../hack/fixtures/bridge.ts';

const s = useAgents('agent-nm', 2, { nodeMode: 'networkmanager' });
const node = (i: number) => s.t.nodes.nodes[i - 1]!;
const views = async (i: number) => ({ ip: await ipView(node(i), { ignoreNmRuntime: true }), nm: await nmView(node(i), s.t.cluster.tools.nmstatectl, { ignoreNmRuntime: true }) });
const keyfiles = (i: number) => readdirSync(join(nodeNmDir(s.t.cluster.run, node(i).name), 'etc', 'system-connections')).sort();

const ok = okResult;

const bridge = (ip: string) => bridgeState({ ip, ipv6: false });

describe('node agent, NetworkManager mode only', () => {
  it('given a bridge with a static IP, should commit it (no checkpoint left, keyfiles written) and a restarted NetworkManager should restore it from its keyfiles after the kernel lost it', async () => {
    const n = node(1);
    const before = await views(1);
    const res = await ok<ApplyNodeStateResult>(s.call(n.name, { activity: 'applyNodeState', input: { policy: 'persist', generation: 1, desiredState: bridge('203.0.113.31') } }));
    expect(res.mode).toBe('networkmanager');
    expect(await activeCheckpoints(n)).toEqual([]);
    const files = keyfiles(1);
    const br1 = files.find((f) => readFileSync(join(nodeNmDir(s.t.cluster.run, n.name), 'etc', 'system-connections', f), 'utf8').includes('interface-name=br1'));
    expect(br1).toBeDefined();

    // A "reboot": NetworkManager stops (it leaves the kernel as it is), the kernel loses the bridge, NetworkManager starts.
    await s.t.nodes.stopNetworkManager(n.name);
    expect((await runInNode(n, 'ip', ['link', 'del', 'br1'])).exitCode).toBe(0);
    expect((await ipView(n)).addrs.some((a) => a.startsWith('br1 '))).toBe(false);
    await s.t.nodes.startNetworkManager(n.name);
    await eventually(async () => (await ipView(n)).addrs.includes('br1 203.0.113.31/24 global'), { timeoutMs: 20_000, what: 'br1 restored from its keyfile' });
    await eventually(async () => (await ipView(n)).links.includes('eth1 up master=br1'), { timeoutMs: 20_000, what: 'eth1 back in br1' });

    await ok<RevertNodeStateResult>(s.call(n.name, { activity: 'revertNodeState', input: { policy: 'persist', generation: 1 } }));
    expect(await views(1)).toEqual(before);
  });

  it("given eth1 with DHCP (the upstream dhcp example), should get a lease from the fabric's dnsmasq, and lose it again on revert", async () => {
    const n = node(2);
    const before = await views(2);
    const desiredState = { interfaces: [{ name: 'eth1', type: 'ethernet', state: 'up', ipv4: { enabled: true, dhcp: true } }] };
    await ok<ApplyNodeStateResult>(s.call(n.name, { activity: 'applyNodeState', input: { policy: 'eth1-dhcp', generation: 1, desiredState } }));
    const [lo, hi] = DATA_DHCP_RANGE.map((a) => Number(a.split('.')[3]));
    const lease = await eventually(
      async () => {
        const a = (await ipView(n)).addrs.find((x) => x.startsWith('eth1 203.0.113.'));
        const last = a ? Number(/203\.0\.113\.(\d+)\//.exec(a)?.[1]) : NaN;
        return last >= lo! && last <= hi! ? a : undefined;
      },
      { timeoutMs: 30_000, what: 'a DHCP lease on eth1' },
    );
    expect(lease).toMatch(/^eth1 203\.0\.113\.\d+\/24 global$/);
    const shown = JSON.parse(String((await runNmInNode(n, s.t.cluster.tools.nmstatectl, ['show', '-q', '--json', 'eth1'])).stdout)) as { interfaces: { ipv4: { dhcp: boolean } }[] };
    expect(shown.interfaces[0]!.ipv4.dhcp).toBe(true);

    await ok<RevertNodeStateResult>(s.call(n.name, { activity: 'revertNodeState', input: { policy: 'eth1-dhcp', generation: 1 } }));
    expect((await ipView(n)).addrs.some((a) => a.startsWith('eth1 203.0.113.'))).toBe(false);
    expect(await views(2)).toEqual(before);
  });

  it('given a checkpoint left pending by someone else (or a crashed attempt), should roll it back before the apply and then apply and commit', async () => {
    const n = node(1);
    const before = await views(1);
    const foreign = { interfaces: [{ name: 'eth2', type: 'ethernet', state: 'up', ipv4: { enabled: true, dhcp: false, address: [{ ip: '203.0.113.41', 'prefix-length': 24 }] } }] };
    const pending = await runNmInNode(n, s.t.cluster.tools.nmstatectl, ['apply', '-q', '--no-commit', '--timeout', '120', '-'], { input: JSON.stringify(foreign) });
    expect(pending.exitCode).toBe(0);
    expect(await activeCheckpoints(n)).toHaveLength(1);
    expect((await ipView(n)).addrs).toContain('eth2 203.0.113.41/24 global');

    await ok<ApplyNodeStateResult>(s.call(n.name, { activity: 'applyNodeState', input: { policy: 'after-leftover', generation: 1, desiredState: bridge('203.0.113.32') } }));
    expect(await activeCheckpoints(n)).toEqual([]);
    const after = await ipView(n);
    expect(after.addrs).toContain('br1 203.0.113.32/24 global');
    expect(after.addrs).not.toContain('eth2 203.0.113.41/24 global');
    await ok<RevertNodeStateResult>(s.call(n.name, { activity: 'revertNodeState', input: { policy: 'after-leftover', generation: 1 } }));
    expect(await views(1)).toEqual(before);
  });

  it('given NetworkManager down on the node (its bus up), should fail as retryable NetworkManagerUnavailable naming the node and the D-Bus error, and change nothing', async () => {
    const n = node(2);
    const before = await views(2);
    await s.t.nodes.stopNetworkManager(n.name);
    try {
      const r = await s.call(n.name, { activity: 'applyNodeState', input: { policy: 'nm-down', generation: 1, desiredState: bridge('203.0.113.33') } });
      expect(r).toMatchObject({ ok: false, type: 'NetworkManagerUnavailable', nonRetryable: false });
      if (r.ok) return;
      expect(r.message).toMatch(new RegExp(`^NetworkManager on node ${n.name} cannot be reached over D-Bus \\(nmstatectl \\w+: DbusConnectionError: org\\.freedesktop\\.DBus\\.Error\\.ServiceUnknown`));
      expect((r.details as ApplyFailureDetails).rolledBack).toBe(false);
    } finally {
      await s.t.nodes.startNetworkManager(n.name);
    }
    expect(await views(2)).toEqual(before);
  });

  it("given NetworkManager's checkpoint messages from the real nmstatectl, should read a second pending apply as CheckpointConflict and a commit after the auto-rollback as CheckpointExpired", async () => {
    const n = node(2);
    const { driver } = s.agents.node(n.name).agent;
    const state = { interfaces: [{ name: 'eth2', type: 'ethernet', state: 'up', ipv4: { enabled: true, dhcp: false, address: [{ ip: '203.0.113.42', 'prefix-length': 24 }] } }] };
    await driver.apply(state, { checkpointTimeoutSeconds: 3 });
    const conflict = await driver.apply(state, { checkpointTimeoutSeconds: 3 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(conflict).toBeInstanceOf(NmstateCommandError);
    expect(NodeAgent.failureType(conflict)).toBe('CheckpointConflict');
    // NetworkManager rolls back by itself ~3 s after the apply returned; a commit then finds nothing.
    await eventually(async () => (await activeCheckpoints(n)).length === 0, { timeoutMs: 15_000, what: 'the auto-rollback' });
    expect((await ipView(n)).addrs).not.toContain('eth2 203.0.113.42/24 global');
    const expired = await driver.commit().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(NodeAgent.failureType(expired)).toBe('CheckpointExpired');
  });
});
