/** Simulated nodes are real network stacks: gateway, DNS and spare NICs work inside them. */
import { describe, expect, it } from '@jest/globals';
import { runInNode, MGMT_GATEWAY, DNS_ZONE } from '../../hack/cluster/nodes.ts';
import { useCluster } from '../support/cluster.ts';

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

  it('given no node, should refuse to run a command (never falling through to the host)', () => {
    expect(() => runInNode(undefined, 'ip', ['link'])).toThrow(/refusing/);
    expect(() => runInNode({ netns: '' }, 'ip', ['link'])).toThrow(/refusing/);
    expect(() => runInNode({ netns: 'not-ours' }, 'ip', ['link'])).toThrow(/refusing/);
  });
});
