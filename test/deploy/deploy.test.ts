/**
 * deploy/ builds with kustomize, applies to the real apiserver, and its RBAC is exactly enough: a node
 * agent running under the node-agent ServiceAccount's own token keeps its NodeNetworkState, and may
 * not touch policies.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { NativeConnection } from '@temporalio/worker';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { serviceAccountKubeconfig } from '../../hack/cluster/users.ts';
import { eventually } from '../../hack/cluster/wait.ts';
import { NNS } from '../../crd/nns.ts';
import { KubeClient } from '../../activities/kube/client.ts';
import { startNodeAgents } from '../../workers/node-agent-host.ts';
import { useCluster } from '../support/cluster.ts';

const t = useCluster('deploy', 1);
const deployDir = fileURLToPath(new URL('../../deploy', import.meta.url));
const kubectl = (...args: string[]) => execa(t.cluster.tools.kubectl, ['--kubeconfig', t.cluster.info.kube.kubeconfig, ...args], { reject: false });

describe('deploy/', () => {
  // The base for real: the namespace, the node agent's ServiceAccount and RBAC (and the rest).
  let applied: Awaited<ReturnType<typeof kubectl>>;
  beforeAll(async () => {
    applied = await kubectl('apply', '--server-side', '-k', join(deployDir, 'base'));
  });

  it('given the kustomization, should build the CRDs, the admission policy, the controller, the node agent and a dev Temporal', async () => {
    const r = await kubectl('kustomize', deployDir);
    expect(r.exitCode).toBe(0);
    const kinds = r.stdout.split('\n---\n').map((d) => (parseYaml(d) as { kind: string }).kind).sort();
    expect(kinds).toEqual([
      'ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'ConfigMap', 'ConfigMap',
      'CustomResourceDefinition', 'CustomResourceDefinition', 'CustomResourceDefinition', 'DaemonSet', 'Deployment', 'Deployment',
      'Namespace', 'Service', 'Service', 'ServiceAccount', 'ServiceAccount', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
    ]);
  });

  it('given the real apiserver, should apply the whole kustomization server-side', async () => {
    expect(applied.stderr).toBe('');
    expect(applied.exitCode).toBe(0);
    // The API part is already installed by the suite: checked with a server-side dry run.
    const all = await kubectl('apply', '--server-side', '--force-conflicts', '--dry-run=server', '-k', deployDir);
    expect(all.stderr).toBe('');
    expect(all.exitCode).toBe(0);
  });

  it("given the node agent's ServiceAccount token, should keep its NodeNetworkState and be forbidden to write policies", async () => {
    expect(applied.exitCode).toBe(0);
    const { kubeconfig } = await serviceAccountKubeconfig(t.cluster.run, t.cluster.info.kube, 'knmstate', 'knmstate-node-agent');
    const denied = await execa(t.cluster.tools.kubectl, ['--kubeconfig', kubeconfig, 'auth', 'can-i', 'update', 'nodenetworkconfigurationpolicies.nmstate.io'], { reject: false });
    expect(denied.stdout.trim()).toBe('no');

    const node = t.nodes.nodes[0]!;
    const stateDir = mkdtempSync(join(tmpdir(), 'knmstate-deploy-'));
    const connection = await NativeConnection.connect({ address: t.cluster.info.temporal.address });
    const kube = KubeClient.fromKubeconfigFile(kubeconfig);
    const agents = await startNodeAgents({
      connection,
      kube,
      nodes: [{ name: node.name, netns: node.netns, mode: node.mode, ...(node.dbusAddress ? { env: { DBUS_SYSTEM_BUS_ADDRESS: node.dbusAddress } } : {}) }],
      nmstatectl: t.cluster.tools.nmstatectl,
      ping: t.cluster.tools.ping,
      mode: node.mode,
      stateDir,
      logger: pino({ level: 'silent' }),
    });
    try {
      const custom = t.kc.makeApiClient(CustomObjectsApi);
      const nns = await eventually(
        async () => {
          const o = (await custom.getClusterCustomObject({ group: NNS.group, version: NNS.version, plural: NNS.plural, name: node.name })) as { status?: { currentState?: unknown } };
          return o.status?.currentState ? o : undefined;
        },
        { timeoutMs: 15_000, what: `NodeNetworkState of ${node.name} written with the agent's own RBAC` },
      );
      expect(JSON.stringify(nns)).toContain('eth1');
      expect(agents.health().ok).toBe(true);
    } finally {
      await agents.shutdown();
      await connection.close();
      kube.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
