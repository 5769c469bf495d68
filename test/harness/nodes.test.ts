/** Simulated nodes are real network stacks: gateway, DNS and spare NICs work inside them. */
import { describe, expect, it } from '@jest/globals';
import { runInNode, MGMT_GATEWAY, DNS_ZONE } from '../../hack/cluster/nodes.ts';
import { useCluster } from '../support/cluster.ts';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../../activities/kube/client.ts';
import { listSimulatedNodes } from '../../activities/kube/nodes.ts';

const t = useCluster('nodes', 2);

describe('simulated nodes', () => {
  it("given a node, should ping the fabric's gateway through eth0", async () => {
    const r = await runInNode(t.nodes.nodes[0], t.cluster.tools.ping, ['-c', '1', '-W', '2', MGMT_GATEWAY]);
    expect(r.exitCode).toBe(0);
  });

  it("given a node, should resolve another node's name through the fabric's DNS", async () => {
    const [a, b] = t.nodes.nodes;
    const r = await runInNode(a, 'getent', ['ahostsv4', `${b!.name}.${DNS_ZONE}`]);
    expect(r.stdout).toContain(b!.mgmtIp);
  });

  it('given a node, should have unconfigured spare NICs eth1 and eth2 and its own resolv.conf', async () => {
    const r = await runInNode(t.nodes.nodes[0], 'ip', ['-j', 'addr', 'show']);
    const links = JSON.parse(r.stdout) as { ifname: string; addr_info: { family: string }[] }[];
    for (const nic of ['eth1', 'eth2']) {
      const l = links.find((x) => x.ifname === nic);
      expect(l).toBeDefined();
      expect(l!.addr_info.filter((a) => a.family === 'inet')).toEqual([]);
    }
    const resolv = await runInNode(t.nodes.nodes[0], 'cat', ['/etc/resolv.conf']);
    expect(resolv.stdout).toContain(`nameserver ${MGMT_GATEWAY}`);
  });

  it('given the nodes of a group, should be found by the node agent with their namespace, mode and bus', async () => {
    const kube = KubeClient.fromKubeconfigFile(t.cluster.info.kube.kubeconfig);
    try {
      const found = await listSimulatedNodes(kube, `knmstate.io/group=${t.nodes.name}`);
      expect(found).toEqual(
        t.nodes.nodes.map((n) => ({ name: n.name, netns: n.netns, mode: t.nodes.mode, ...(n.dbusAddress ? { dbusAddress: n.dbusAddress } : {}) })),
      );
    } finally {
      kube.close();
    }
  });

  it('given a running cluster, should list each simulated node with its mode, namespace and bus in `cluster status`', () => {
    const main = fileURLToPath(new URL('../../hack/cluster/main.ts', import.meta.url));
    const out = execFileSync(process.execPath, [main, 'status'], { encoding: 'utf8', timeout: 30_000 });
    for (const n of t.nodes.nodes) {
      const line = out.split('\n').find((l) => l.includes(`netns ${n.netns}`));
      expect(line).toBeDefined();
      expect(line).toContain(n.name);
      expect(line).toContain(t.nodes.mode);
      if (n.dbusAddress) expect(line).toContain(`DBUS_SYSTEM_BUS_ADDRESS=${n.dbusAddress}`);
      expect(line).not.toContain('MISSING');
    }
  });

  it('given no node, should refuse to run a command (never falling through to the host)', () => {
    expect(() => runInNode(undefined, 'ip', ['link'])).toThrow(/refusing/);
    expect(() => runInNode({ netns: '' }, 'ip', ['link'])).toThrow(/refusing/);
    expect(() => runInNode({ netns: 'not-ours' }, 'ip', ['link'])).toThrow(/refusing/);
  });
});
