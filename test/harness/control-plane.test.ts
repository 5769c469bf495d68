/** The control plane is real and set up as knmstate needs it. */
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { knmstateSearchAttributes } from '../../workflows/search-attributes.ts';
import { useCluster } from '../support/cluster.ts';

const t = useCluster('control-plane', 1);

describe('control plane', () => {
  it('given the admin kubeconfig, should reach kube-apiserver v1.37.2 over verified TLS with kubectl', async () => {
    const r = await execa(t.cluster.tools.kubectl, ['--kubeconfig', t.cluster.info.kube.kubeconfig, 'version', '-o', 'json']);
    const v = JSON.parse(r.stdout) as { serverVersion: { gitVersion: string } };
    expect(v.serverVersion.gitVersion).toBe('v1.37.2');
  });

  it("given the Temporal dev server, should have knmstate's search attributes registered", async () => {
    const res = await t.client.connection.operatorService.listSearchAttributes({ namespace: t.cluster.info.temporal.namespace });
    for (const key of knmstateSearchAttributes) expect(Object.keys(res.customAttributes ?? {})).toContain(key.name);
  });

  it('given a minted least-privilege user, should allow exactly its rules', async () => {
    const user = await t.cluster.mintUser('node-reader', [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }]);
    const kubectl = (...args: string[]) => execa(t.cluster.tools.kubectl, ['--kubeconfig', user.kubeconfig, ...args], { reject: false });
    const list = await kubectl('get', 'nodes', '-o', 'name');
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toContain(`node/${t.nodes.nodes[0]!.name}`);
    const del = await kubectl('delete', 'node', t.nodes.nodes[0]!.name, '--dry-run=server');
    expect(del.exitCode).not.toBe(0);
    expect(del.stderr).toContain('forbidden');
    expect(del.stderr).toContain(user.username);
  });

  it('given a simulated node, should have a Ready Node object with hostname, zone and role labels', async () => {
    const node = t.nodes.nodes[0]!;
    const obj = await t.core.readNode({ name: node.name });
    expect(obj.metadata?.labels).toMatchObject({
      'kubernetes.io/hostname': node.name,
      'topology.kubernetes.io/zone': node.zone,
      'node-role.kubernetes.io/worker': '',
    });
    expect(obj.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });
});
