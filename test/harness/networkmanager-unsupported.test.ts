/**
 * A link kind this kernel cannot create (vlan: no 8021q) in NetworkManager mode: nmstatectl fails with
 * a clear message and NetworkManager's checkpoint leaves the node as it was. It takes about two
 * minutes (nmstate retries the activation with back-off), which is why it has its own file: the
 * duration is printed for the node agent, which should fail faster where it can tell.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openCluster, type Cluster } from '../../hack/cluster/cluster.ts';
import { runInNode, type NodeGroup } from '../../hack/cluster/nodes.ts';
import { activeCheckpoints, nodeNmDir, runNmInNode } from '../../hack/cluster/networkmanager.ts';
import { tools } from '../../hack/cluster/tools.ts';

let cluster: Cluster;
let group: NodeGroup;

beforeAll(async () => {
  cluster = openCluster();
  group = await cluster.addNodes({ name: 'nm-vlan', count: 1, mode: 'networkmanager', nodeObjects: false });
}, 60_000);

afterAll(async () => {
  await group?.teardown();
}, 60_000);

describe('NetworkManager node mode: unsupported link kinds', () => {
  it('given a vlan on a kernel without 8021q (checked only through nmstatectl and NetworkManager), should fail naming the device and the cause and leave the node clean', async () => {
    const n = group.nodes[0]!;
    const snapshot = async () =>
      (await Promise.all([runInNode(n, 'ip', ['-br', 'link']), runInNode(n, 'ip', ['-br', 'addr']), runInNode(n, 'ip', ['route'])])).map((r) => r.stdout).join('\n');
    const before = await snapshot();
    const state = { interfaces: [{ name: 'eth1.10', type: 'vlan', state: 'up', vlan: { 'base-iface': 'eth1', id: 10 }, ipv4: { enabled: false }, ipv6: { enabled: false } }] };

    const t0 = performance.now();
    const r = await runNmInNode(n, tools().nmstatectl, ['apply', '--no-commit', '--timeout', '60'], { input: JSON.stringify(state) });
    const seconds = (performance.now() - t0) / 1000;
    process.stderr.write(`[nm-vlan] unsupported vlan apply in NetworkManager mode failed after ${seconds.toFixed(1)} s\n`);

    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/NmstateError: .*eth1\.10 failed to create resources: .*Operation not supported/);
    expect(r.stderr).toMatch(/Rollbacked to checkpoint/);
    expect(await activeCheckpoints(n)).toEqual([]);
    expect(readdirSync(join(nodeNmDir(cluster.run, n.name), 'etc', 'system-connections'))).toEqual([]);
    expect(await snapshot()).toBe(before);
  }, 300_000);
});
