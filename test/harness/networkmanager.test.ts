/**
 * NetworkManager node mode: a real NetworkManager per simulated node on its own D-Bus, driven by the
 * real nmstatectl (no agent yet): commit and persistence, rollback, NetworkManager's own auto-rollback,
 * DHCP from the fabric, the states kernel mode cannot do, the messages the agent must understand, the
 * guard that keeps NetworkManager out of the host's namespace, and clean-up after a crash.
 * Each scenario has its own node, so they do not depend on one another.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { openCluster, type Cluster } from '../../hack/cluster/cluster.ts';
import { Run, listNetns, sweepStaleRuns } from '../../hack/cluster/run.ts';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  DATA_GATEWAY,
  DBUS_ADDRESS_ANNOTATION,
  NODE_MODE_LABEL,
  createNodeGroup,
  defaultNodeMode,
  parseNodeMode,
  runInNode,
  type NodeGroup,
  type SimNode,
} from '../../hack/cluster/nodes.ts';
import {
  GUARD_HOST_NETNS,
  GUARD_NETNS_MISMATCH,
  INOTIFY_LEASE_DIR,
  activeCheckpoints,
  guardedLaunchArgs,
  nmProcNames,
  nodeNmDir,
  ownNetns,
  runNmInNode,
} from '../../hack/cluster/networkmanager.ts';
import { isAlive, procStartTime, type ProcRecord } from '../../hack/cluster/proc.ts';
import { tools } from '../../hack/cluster/tools.ts';
import { eventually } from '../../hack/cluster/wait.ts';
import { linuxBridge } from '../../hack/fixtures/bridge.ts';

let cluster: Cluster;
let group: NodeGroup;

beforeAll(async () => {
  cluster = openCluster();
  group = await cluster.addNodes({ name: 'nm-main', count: 7, mode: 'networkmanager' });
}, 120_000);

afterAll(async () => {
  await group?.teardown();
}, 60_000);

/** Node i (1-based) of the group, and its static address on the data network (below the DHCP range). */
const node = (i: number): SimNode => group.nodes[i - 1]!;
const dataIp = (i: number): string => `203.0.113.${20 + i}`;

function nmstatectl(n: SimNode, args: string[], state?: object) {
  return runNmInNode(n, tools().nmstatectl, args, state ? { input: JSON.stringify(state) } : {});
}

/** br1 with eth1 as its port and a static address; `extra` is merged into the bridge interface. */
function bridgeState(ip: string, extra: Record<string, unknown> = {}) {
  return { interfaces: [{ ...linuxBridge({ ip, ipv6: false }), ...extra }] };
}

/** What "the node's network" is for before/after comparisons: links, addresses, routes, NetworkManager's device states. */
async function snapshot(n: SimNode): Promise<string> {
  const parts = await Promise.all([
    runInNode(n, 'ip', ['-br', 'link']),
    runInNode(n, 'ip', ['-br', 'addr']),
    runInNode(n, 'ip', ['route']),
    runNmInNode(n, 'nmcli', ['-t', '-f', 'DEVICE,TYPE,STATE,CONNECTION', 'device']),
  ]);
  return parts.map((p) => p.stdout.split('\n').sort().join('\n')).join('\n--\n');
}

async function addressesOf(n: SimNode, dev: string): Promise<{ family: string; local: string; scope: string }[]> {
  const r = await runInNode(n, 'ip', ['-j', 'addr', 'show', 'dev', dev]);
  if (r.exitCode !== 0) return [];
  const [link] = JSON.parse(r.stdout) as { addr_info: { family: string; local: string; scope: string }[] }[];
  return link?.addr_info ?? [];
}

function keyfiles(n: SimNode): string[] {
  return readdirSync(join(nodeNmDir(cluster.run, n.name), 'etc', 'system-connections')).sort();
}

function nmRecord(n: SimNode): ProcRecord {
  const rec = cluster.run.procs().find((p) => p.name === nmProcNames(n.name).nm);
  if (!rec) throw new Error(`no NetworkManager recorded for ${n.name}`);
  return rec;
}

describe('NetworkManager node mode: the harness', () => {
  it('given a NetworkManager node, should run NetworkManager in the node namespace with a private /run and a read-only /sys except virtual netdevs', async () => {
    const n = node(1);
    const rec = nmRecord(n);
    expect(readlinkSync(`/proc/${rec.pid}/ns/net`)).not.toBe(ownNetns());
    expect((await execa('ip', ['netns', 'identify', String(rec.pid)])).stdout.trim()).toBe(n.netns);

    const mounts = readFileSync(`/proc/${rec.pid}/mountinfo`, 'utf8').split('\n');
    const at = (mp: string) => mounts.find((l) => l.split(' ')[4] === mp)?.split(' ');
    expect(at('/sys')?.[5]).toMatch(/^ro\b/);
    expect(at('/sys/devices/virtual/net')?.[5]).toMatch(/^rw\b/);
    expect(at('/run')?.join(' ')).toContain(' - tmpfs ');
    expect(at('/etc/NetworkManager')?.[3]).toContain(join('nm', n.name, 'etc'));
    // None of those mounts is visible outside NetworkManager's own mount namespace.
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(cluster.run.dir);
    // Other users of the node's namespace still see a writable /sys.
    expect((await runInNode(n, 'sh', ['-c', 'grep " /sys " /proc/self/mountinfo'])).stdout).toMatch(/ \/sys rw/);
  });

  it("given a NetworkManager node, should publish its mode and its bus address on its Node object for the agent", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.info.kube.kubeconfig);
    const obj = await kc.makeApiClient(CoreV1Api).readNode({ name: node(1).name });
    expect(obj.metadata?.labels?.[NODE_MODE_LABEL]).toBe('networkmanager');
    expect(obj.metadata?.annotations?.[DBUS_ADDRESS_ANNOTATION]).toBe(node(1).dbusAddress);
    expect(node(1).dbusAddress).toBe(`unix:path=${join(nodeNmDir(cluster.run, node(1).name), 'dbus', 'bus')}`);
  });

  it('given a fresh NetworkManager node, should have eth1 and eth2 managed but unconfigured, no profiles, and eth0 as the harness set it', async () => {
    const n = node(1);
    const dev = await runNmInNode(n, 'nmcli', ['-t', '-f', 'DEVICE,STATE', 'device']);
    expect(dev.stdout.split('\n')).toEqual(expect.arrayContaining(['eth1:disconnected', 'eth2:disconnected']));
    for (const nic of ['eth1', 'eth2']) expect((await addressesOf(n, nic)).filter((a) => a.family === 'inet')).toEqual([]);
    expect(keyfiles(n)).toEqual([]);
    expect((await addressesOf(n, 'eth0')).map((a) => a.local)).toContain(n.mgmtIp);
    expect((await runInNode(n, 'ip', ['route', 'show', 'default'])).stdout).toContain('via 198.51.100.1 dev eth0');
    expect(await activeCheckpoints(n)).toEqual([]);
  });

  it('given the launch guard, should refuse to start anything in the harness own network namespace', async () => {
    const n = node(1);
    // Run the guard's script here, in the harness's namespace, claiming to be the node: it must refuse.
    const unshareAndScript = guardedLaunchArgs(n.netns, '/nonexistent', ownNetns(), 'x', ['true']).slice(3);
    expect(unshareAndScript[0]).toBe('unshare');
    const r = await execa(unshareAndScript[0]!, unshareAndScript.slice(1), { reject: false });
    expect(r.exitCode).toBe(GUARD_HOST_NETNS);
    expect(r.stderr).toContain('REFUSE');
  });

  it("given the launch guard, should refuse to start in a namespace that is not the node's", async () => {
    const [a, b] = [node(1), node(2)];
    // Enter node 1's namespace while naming node 2: `ip netns identify` tells them apart.
    const args = guardedLaunchArgs(b.netns, '/nonexistent', ownNetns(), 'x', ['true']);
    args[2] = a.netns;
    const r = await execa('ip', args, { reject: false });
    expect(r.exitCode).toBe(GUARD_NETNS_MISMATCH);
    expect(r.stderr).toContain('REFUSE');
  });

  it('given a node mode as text, should accept kernel and networkmanager and name the field when it is neither', () => {
    expect(parseNodeMode('networkmanager')).toBe('networkmanager');
    expect(() => parseNodeMode('nm', '--mode')).toThrow('--mode must be one of kernel, networkmanager; got "nm"');
    const saved = process.env.KNMSTATE_NODE_MODE;
    try {
      process.env.KNMSTATE_NODE_MODE = 'networkmanager';
      expect(defaultNodeMode()).toBe('networkmanager');
      process.env.KNMSTATE_NODE_MODE = 'bogus';
      expect(() => defaultNodeMode()).toThrow(/KNMSTATE_NODE_MODE must be one of/);
    } finally {
      if (saved === undefined) delete process.env.KNMSTATE_NODE_MODE;
      else process.env.KNMSTATE_NODE_MODE = saved;
    }
  });
});

describe('NetworkManager node mode: nmstatectl on the production path', () => {
  it('given a bridge with a static IP applied and committed, should reach the fabric and restore it from keyfiles after a NetworkManager restart', async () => {
    const n = node(2);
    const apply = await nmstatectl(n, ['apply'], bridgeState(dataIp(2)));
    expect(apply.stderr).not.toContain('NmstateError');
    expect(apply.exitCode).toBe(0);
    expect(await activeCheckpoints(n)).toEqual([]);
    expect(keyfiles(n)).toEqual(['br1.nmconnection', 'eth1.nmconnection']);
    expect((await runInNode(n, tools().ping, ['-c', '1', '-W', '2', DATA_GATEWAY])).exitCode).toBe(0);

    // A reboot: NetworkManager stops (it leaves the kernel state), the kernel state goes, NetworkManager starts.
    await group.stopNetworkManager(n.name);
    expect((await addressesOf(n, 'br1')).map((a) => a.local)).toContain(dataIp(2));
    expect((await runInNode(n, 'ip', ['link', 'del', 'br1'])).exitCode).toBe(0);
    expect((await runInNode(n, 'ip', ['link', 'set', 'eth1', 'down'])).exitCode).toBe(0);
    await group.startNetworkManager(n.name);
    await eventually(async () => (await addressesOf(n, 'br1')).some((a) => a.local === dataIp(2)), { timeoutMs: 20_000, what: 'br1 restored from keyfiles' });
    expect((await runInNode(n, 'ip', ['-br', 'link', 'show', 'master', 'br1'])).stdout).toMatch(/^eth1@/);
    await eventually(async () => (await runInNode(n, tools().ping, ['-c', '1', '-W', '1', DATA_GATEWAY])).exitCode === 0, {
      timeoutMs: 10_000,
      what: 'the fabric reachable over the restored bridge',
    });
  });

  it('given apply --no-commit then rollback, should put the node back exactly as before', async () => {
    const n = node(3);
    const before = await snapshot(n);
    const apply = await nmstatectl(n, ['apply', '--no-commit', '--timeout', '60'], bridgeState(dataIp(3)));
    expect(apply.exitCode).toBe(0);
    expect(apply.stderr).toMatch(/Created checkpoint \/org\/freedesktop\/NetworkManager\/Checkpoint\/\d+/);
    expect(await activeCheckpoints(n)).toHaveLength(1);
    expect((await addressesOf(n, 'br1')).map((a) => a.local)).toContain(dataIp(3));

    const rollback = await nmstatectl(n, ['rollback']);
    expect(rollback.exitCode).toBe(0);
    expect(await activeCheckpoints(n)).toEqual([]);
    await eventually(async () => (await snapshot(n)) === before, { timeoutMs: 10_000, what: 'the state from before the apply' });
    expect(keyfiles(n)).toEqual([]);
  });

  it("given apply --no-commit --timeout and no commit, should be rolled back by NetworkManager itself, and a retry then succeed", async () => {
    const n = node(4);
    const before = await snapshot(n);
    const timeoutS = 8;
    const apply = await nmstatectl(n, ['apply', '--no-commit', '--timeout', String(timeoutS)], bridgeState(dataIp(4)));
    expect(apply.exitCode).toBe(0);
    const applied = performance.now();
    expect(await activeCheckpoints(n)).toHaveLength(1);
    expect((await addressesOf(n, 'br1')).map((a) => a.local)).toContain(dataIp(4));

    // Nobody commits (as if the agent died): NetworkManager rolls back when the timeout runs out.
    await eventually(async () => (await activeCheckpoints(n)).length === 0 && (await snapshot(n)) === before, {
      timeoutMs: (timeoutS + 30) * 1000,
      intervalMs: 250,
      what: "NetworkManager's auto-rollback",
    });
    expect(performance.now() - applied).toBeGreaterThan((timeoutS - 1) * 1000);
    expect(keyfiles(n)).toEqual([]);

    const retry = await nmstatectl(n, ['apply', '--no-commit', '--timeout', '60'], bridgeState(dataIp(4)));
    expect(retry.exitCode).toBe(0);
    expect((await nmstatectl(n, ['commit'])).exitCode).toBe(0);
    expect(await activeCheckpoints(n)).toEqual([]);
    expect((await addressesOf(n, 'br1')).map((a) => a.local)).toContain(dataIp(4));
  }, 90_000);

  it("given eth1 with DHCP, should get a lease from the fabric's dnsmasq", async () => {
    const n = node(5);
    const state = { interfaces: [{ name: 'eth1', type: 'ethernet', state: 'up', ipv4: { enabled: true, dhcp: true }, ipv6: { enabled: false } }] };
    const apply = await nmstatectl(n, ['apply'], state);
    expect(apply.exitCode).toBe(0);
    const lease = await eventually(async () => (await addressesOf(n, 'eth1')).find((a) => a.family === 'inet' && a.local.startsWith('203.0.113.')), {
      timeoutMs: 30_000,
      what: 'a DHCP address on eth1',
    });
    const last = Number(lease.local.split('.')[3]);
    expect(last).toBeGreaterThanOrEqual(128);
    const leases = readFileSync(cluster.run.path('dnsmasq-nm-main.leases'), 'utf8');
    expect(leases).toContain(lease.local);
    const show = await nmstatectl(n, ['show', '--json', 'eth1']);
    const eth1 = (JSON.parse(show.stdout) as { interfaces: { name: string; ipv4: { dhcp: boolean } }[] }).interfaces.find((i) => i.name === 'eth1');
    expect(eth1?.ipv4.dhcp).toBe(true);
    // The management path is untouched: eth0's default route still wins.
    expect((await runInNode(n, 'ip', ['route', 'get', '198.51.100.1'])).stdout).toContain('dev eth0');
  });

  it('given a bridge with IPv6 disabled and MTU 1400 on it and its port (states kernel mode cannot do), should apply them', async () => {
    const n = node(6);
    const state = bridgeState(dataIp(6), { mtu: 1400 });
    state.interfaces.push({ name: 'eth1', type: 'ethernet', state: 'up', mtu: 1400 });
    const apply = await nmstatectl(n, ['apply'], state);
    expect(apply.stderr).not.toContain('NmstateError');
    expect(apply.exitCode).toBe(0);
    expect((await addressesOf(n, 'br1')).filter((a) => a.family === 'inet6')).toEqual([]);
    const mtu = async (dev: string) => (JSON.parse((await runInNode(n, 'ip', ['-j', 'link', 'show', dev])).stdout) as { mtu: number }[])[0]?.mtu;
    expect(await mtu('br1')).toBe(1400);
    expect(await mtu('eth1')).toBe(1400);
  });

  it('given a pending checkpoint, a missing checkpoint or a stopped NetworkManager, should fail with the messages the agent must recognise', async () => {
    const n = node(7);
    expect((await nmstatectl(n, ['apply', '--no-commit', '--timeout', '60'], bridgeState(dataIp(7)))).exitCode).toBe(0);
    const second = await nmstatectl(n, ['apply', '--no-commit', '--timeout', '60'], bridgeState(dataIp(7), { mtu: 1400 }));
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain('NmstateError: Bug: CheckpointConflict: Another checkpoint exists, please wait its timeout or destroy it');
    expect((await nmstatectl(n, ['rollback'])).exitCode).toBe(0);

    for (const cmd of ['commit', 'rollback']) {
      const r = await nmstatectl(n, [cmd]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('NmstateError: Bug: NotFound: Not active checkpoints');
    }

    await group.stopNetworkManager(n.name);
    try {
      const down = await nmstatectl(n, ['show']);
      expect(down.exitCode).toBe(1);
      expect(down.stderr).toContain('NmstateError: Bug: DbusConnectionError: org.freedesktop.DBus.Error.ServiceUnknown');
    } finally {
      await group.startNetworkManager(n.name);
    }
    const noBus = await nmstatectl({ ...n, dbusAddress: 'unix:path=/nonexistent/knmstate-bus' }, ['show']);
    expect(noBus.exitCode).toBe(1);
    expect(noBus.stderr).toContain('NmstateError: Bug: DbusConnectionError: I/O error: No such file or directory (os error 2)');
  });

  it('given a kernel-mode node, should refuse NetworkManager helpers with a clear error', () => {
    const kernelNode = { ...node(1), mode: 'kernel' as const, dbusAddress: undefined };
    expect(() => runNmInNode(kernelNode, 'nmcli')).toThrow(/not in networkmanager mode/);
    expect(() => runNmInNode({ ...node(1), netns: 'not-ours' }, 'nmcli')).toThrow(/refusing/);
  });
});

describe('NetworkManager node mode: clean-up after a crash', () => {
  it('given NetworkManager nodes whose run owner died, should stop every NetworkManager and bus, remove namespaces and folders, and end the inotify lease at the next sweep', async () => {
    const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    const run = Run.create({ ownerPid: idle.pid! });
    try {
      const crashed = await createNodeGroup(run, { name: 'nm-crash', count: 2, dnsmasqBin: tools().dnsmasq, mode: 'networkmanager' });
      const procs = run.procs();
      expect(procs.map((p) => p.name).sort()).toEqual(['dnsmasq-nm-crash', 'nm-nm-crash-1', 'nm-nm-crash-2', 'nmbus-nm-crash-1', 'nmbus-nm-crash-2']);
      const netns = [crashed.fabricNetns, ...crashed.nodes.map((x) => x.netns)];
      const lease = join(INOTIFY_LEASE_DIR, `${run.id}.group-nm-crash.lease`);
      expect(existsSync(lease)).toBe(true);

      idle.kill('SIGKILL');
      await eventually(() => procStartTime(idle.pid!) === undefined, { what: 'the owner to exit' });
      expect(await sweepStaleRuns()).toContain(run.id);
      expect(procs.filter(isAlive)).toEqual([]);
      expect(listNetns().filter((x) => netns.includes(x))).toEqual([]);
      expect(existsSync(run.dir)).toBe(false);
      expect(existsSync(lease)).toBe(false);
    } finally {
      idle.kill('SIGKILL');
      await run.teardown();
    }
  }, 60_000);
});
