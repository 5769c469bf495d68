/**
 * The nmstate.io API on the real kube-apiserver: the CRDs install and are Established, every example
 * is accepted, v1beta1 NNCPs are stored as v1, kubectl shows upstream's printer columns and explains
 * the rollout fields, status is written only through the subresource, and a 1000-node rollout status
 * fits in one object.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiextensionsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { installCrds } from '../../hack/cluster/crds.ts';
import { eventually } from '../../hack/cluster/wait.ts';
import { NNCE, NNCP, NNS } from '../../crd/index.ts';
import { connect, createNncp, deleteNncp, examples, NO_NODE, type Api } from './support.ts';
import { bigStatus } from '../../hack/fixtures/nncp-status.ts';

let api: Api;
const created: string[] = [];
const name = (suffix: string): string => {
  const n = `api-crds-${suffix}`;
  created.push(n);
  return n;
};

beforeAll(async () => {
  api = connect();
  await installCrds(api.cluster.info.kube.kubeconfig);
}, 90_000);

afterAll(async () => {
  await Promise.all(created.map((n) => deleteNncp(api, n)));
});

describe('nmstate.io CRDs on the apiserver', () => {
  it('given installCrds, should have the three CRDs Established with their short names and versions', async () => {
    const ext = api.kc.makeApiClient(ApiextensionsV1Api);
    for (const [ref, short, versions] of [
      [NNCP, 'nncp', ['v1', 'v1beta1']],
      [NNCE, 'nnce', ['v1beta1']],
      [NNS, 'nns', ['v1beta1']],
    ] as const) {
      const crd = await ext.readCustomResourceDefinition({ name: `${ref.plural}.${ref.group}` });
      expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
      expect(crd.spec.names.shortNames).toEqual([short]);
      expect(crd.spec.scope).toBe('Cluster');
      expect(crd.spec.versions.map((v) => v.name)).toEqual(versions);
      expect(crd.spec.versions.every((v) => v.subresources?.status !== undefined)).toBe(true);
    }
    const nncp = await ext.readCustomResourceDefinition({ name: `${NNCP.plural}.${NNCP.group}` });
    expect(nncp.spec.versions.find((v) => v.name === 'v1')?.storage).toBe(true);
    expect(nncp.spec.versions.find((v) => v.name === 'v1beta1')?.deprecated).toBe(true);
  });

  it.each(examples().map((e) => [`${e.file} ${(e.manifest.metadata as { name: string }).name}`, e.manifest] as const))(
    'given example %s, should be accepted by the apiserver and its admission policy (server-side dry run)',
    async (_n, manifest) => {
      const stored = await createNncp(api, manifest);
      expect((stored.metadata as { name: string }).name).toBe((manifest.metadata as { name: string }).name);
    },
  );

  it('given a v1beta1 NNCP, should store it as v1 and read it back unchanged through v1', async () => {
    const n = name('v1beta1');
    const spec = { nodeSelector: NO_NODE, maxUnavailable: 3, desiredState: { interfaces: [{ name: 'eth1', type: 'ethernet', state: 'up' }] } };
    await createNncp(api, { apiVersion: 'nmstate.io/v1beta1', kind: NNCP.kind, metadata: { name: n }, spec }, { persist: true, version: 'v1beta1' });
    const v1 = (await api.custom.getClusterCustomObject({ group: NNCP.group, version: 'v1', plural: NNCP.plural, name: n })) as { apiVersion: string; spec: unknown };
    expect(v1.apiVersion).toBe('nmstate.io/v1');
    expect(v1.spec).toEqual(spec);
    // The storage version is what etcd holds; the CRD reports it once the object is written.
    const ext = api.kc.makeApiClient(ApiextensionsV1Api);
    const crd = await ext.readCustomResourceDefinition({ name: `${NNCP.plural}.${NNCP.group}` });
    expect(crd.status?.storedVersions).toEqual(['v1']);
  });

  it('given a policy with a True condition, should show upstream Status and Reason columns in kubectl get, and rollout columns with -o wide', async () => {
    const n = name('columns');
    await createNncp(api, { apiVersion: NNCP.apiVersion, kind: NNCP.kind, metadata: { name: n }, spec: { nodeSelector: NO_NODE, desiredState: {} } }, { persist: true });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const status = {
      observedGeneration: 1,
      conditions: [
        { type: 'Available', status: 'True', reason: 'SuccessfullyConfigured', message: '2/2 nodes successfully configured', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'Degraded', status: 'False', reason: 'SuccessfullyConfigured', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
      rollout: { phase: 'Completed', currentWave: 2, totalWaves: 2, counts: { matched: 2, succeeded: 2, failed: 0 } },
    };
    await api.custom.patchClusterCustomObjectStatus({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name: n, body: { status } }, mergePatch());
    const plain = await api.kubectl('get', 'nncp', n);
    expect(plain.split('\n')[0]!.split(/\s+/)).toEqual(['NAME', 'STATUS', 'REASON']);
    expect(plain.split('\n')[1]!.split(/\s+/)).toEqual([n, 'Available', 'SuccessfullyConfigured']);
    const wide = await api.kubectl('get', 'nncp', n, '-o', 'wide');
    expect(wide.split('\n')[0]!.split(/\s+/)).toEqual(['NAME', 'STATUS', 'REASON', 'ROLLOUT', 'WAVE', 'MATCHED', 'SUCCEEDED', 'FAILED']);
    expect(wide.split('\n')[1]!.split(/\s+/)).toEqual([n, 'Available', 'SuccessfullyConfigured', 'Completed', '2', '2', '2', '0']);
  });

  it('given kubectl explain, should print the descriptions of spec.rollout and its fields', async () => {
    const out = await eventually(
      async () => {
        const o = await api.kubectl('explain', 'nncp.spec.rollout');
        return o.includes('waves') ? o : false;
      },
      { timeoutMs: 30_000, what: 'kubectl explain nncp.spec.rollout' },
    );
    expect(out).toContain("knmstate's rollout controls");
    for (const field of ['waves', 'maxFailures', 'paused', 'onFailure', 'order', 'nodeSelectorTerms']) expect(out).toMatch(new RegExp(`^\\s+${field}\\s`, 'm'));
    expect(out).toContain('Failure budget');
    const waves = await api.kubectl('explain', 'nncp.spec.rollout.waves.pause');
    expect(waves).toContain('"manual"');
    const probes = await api.kubectl('explain', 'nncp.spec.probes.dns.host');
    expect(probes).toContain('root-servers.net');
  });

  it('given a status written through the main resource, should ignore it; through /status, should store it', async () => {
    const n = name('status');
    await createNncp(api, { apiVersion: NNCP.apiVersion, kind: NNCP.kind, metadata: { name: n }, spec: { nodeSelector: NO_NODE, desiredState: {} } }, { persist: true });
    const body = { status: { observedGeneration: 7, rollout: { phase: 'Halted' } } };
    const viaMain = (await api.custom.patchClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name: n, body }, mergePatch())) as { status?: { observedGeneration?: number } };
    expect(viaMain.status?.observedGeneration).toBeUndefined();
    const read = (await api.custom.getClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name: n })) as { status?: unknown; metadata: { generation: number } };
    expect((read.status as { observedGeneration?: number } | undefined)?.observedGeneration).toBeUndefined();
    expect(read.metadata.generation).toBe(1);
    const viaStatus = (await api.custom.patchClusterCustomObjectStatus({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name: n, body }, mergePatch())) as { status?: { observedGeneration?: number } };
    expect(viaStatus.status?.observedGeneration).toBe(7);
  });

  it('given a worst-case rollout status for 1000 nodes, should be accepted through /status (well under the 1.5 MB limit)', async () => {
    const n = name('big-status');
    await createNncp(api, { apiVersion: NNCP.apiVersion, kind: NNCP.kind, metadata: { name: n }, spec: { nodeSelector: NO_NODE, desiredState: {} } }, { persist: true });
    const status = bigStatus(1000, { worstCase: true });
    const bytes = Buffer.byteLength(JSON.stringify({ status }));
    process.stderr.write(`[api] worst-case status for 1000 nodes: ${bytes} bytes (${(bytes / 1024).toFixed(0)} KiB)\n`);
    expect(bytes).toBeLessThan(1_000_000);
    const stored = (await api.custom.patchClusterCustomObjectStatus({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name: n, body: { status } }, mergePatch())) as {
      status: { rollout: { nodes: unknown[] } };
    };
    expect(stored.status.rollout.nodes).toHaveLength(1000);
  });
});

/** Request options that send a JSON merge patch. */
function mergePatch(): ReturnType<typeof setHeaderOptions> {
  return setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
}
