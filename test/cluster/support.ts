/**
 * Helpers of the cluster activity suites: the run's real apiserver, Node objects of the suite's own
 * (the activities only read Nodes, so no simulated network is needed), test policies, kubectl, and
 * clean-up of everything created even when a test fails.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { execa } from 'execa';
import { openCluster } from '../../hack/cluster/cluster.ts';
import { createClusterActivities } from '../../activities/cluster/index.ts';
import type { ClusterActivities } from '../../activities/cluster/contract.ts';
import { NNCE, LABEL_POLICY, type NodeNetworkConfigurationEnactment } from '../../crd/nnce.ts';
import { NNCP, type NncpSpec, type NodeNetworkConfigurationPolicy } from '../../crd/nncp.ts';

/** Label that ties the suite's Node objects and policies together. */
export const GROUP_LABEL = 'knmstate.io/status-test';

/** What {@link useStatusCluster} gives a test file (filled in beforeAll). */
export interface StatusSuite {
  kc: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  cluster: ClusterActivities;
  /** The suite's group value (unique per run and file). */
  group: string;
  /** The suite's Node names, `<group>-1…`. */
  nodes: string[];
  kubectl(...args: string[]): Promise<string>;
  /** Creates a policy selecting the suite's nodes (or `selector`); returns uid and generation. */
  createPolicy(name: string, spec?: NncpSpec): Promise<{ uid: string; generation: number }>;
  /** Changes the policy's spec so that its generation goes up; returns the new generation. */
  bumpGeneration(name: string): Promise<number>;
  getPolicy(name: string): Promise<NodeNetworkConfigurationPolicy>;
  getEnactment(name: string): Promise<NodeNetworkConfigurationEnactment | undefined>;
  /** Sets a Node's Ready condition. */
  setReady(node: string, ready: boolean): Promise<void>;
  readNode(node: string): Promise<V1Node>;
}

const is404 = (err: unknown): boolean => err instanceof ApiException && err.code === 404;

/** Attaches to the run's apiserver and creates `count` Ready Node objects of the suite's own. */
export function useStatusCluster(name: string, count: number): StatusSuite {
  const s = {} as StatusSuite;
  const policies = new Set<string>();
  beforeAll(async () => {
    const cluster = openCluster();
    s.kc = new KubeConfig();
    s.kc.loadFromFile(cluster.info.kube.kubeconfig);
    s.core = s.kc.makeApiClient(CoreV1Api);
    s.custom = s.kc.makeApiClient(CustomObjectsApi);
    s.cluster = createClusterActivities({ kubeConfig: s.kc });
    s.group = `${name}-${randomBytes(3).toString('hex')}`;
    s.nodes = Array.from({ length: count }, (_, i) => `${s.group}-${i + 1}`);
    s.kubectl = async (...args) => (await execa(cluster.tools.kubectl, ['--kubeconfig', cluster.info.kube.kubeconfig, ...args])).stdout;
    s.setReady = async (node, ready) => {
      const n = await s.core.readNode({ name: node });
      const now = new Date();
      n.status = { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady', lastHeartbeatTime: now, lastTransitionTime: now }] };
      await s.core.replaceNodeStatus({ name: node, body: n });
    };
    s.readNode = (node) => s.core.readNode({ name: node });
    for (const n of s.nodes) {
      await s.core.createNode({ body: { metadata: { name: n, labels: { [GROUP_LABEL]: s.group, 'kubernetes.io/hostname': n } } } });
      await s.setReady(n, true);
    }
    s.createPolicy = async (policy, spec) => {
      policies.add(policy);
      const body = { apiVersion: NNCP.apiVersion, kind: NNCP.kind, metadata: { name: policy }, spec: spec ?? { nodeSelector: { [GROUP_LABEL]: s.group } } };
      const o = (await s.custom.createClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, body })) as NodeNetworkConfigurationPolicy;
      return { uid: o.metadata.uid!, generation: o.metadata.generation! };
    };
    s.getPolicy = async (policy) => (await s.custom.getClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name: policy })) as NodeNetworkConfigurationPolicy;
    s.bumpGeneration = async (policy) => {
      const o = await s.getPolicy(policy);
      o.spec = { ...o.spec, maxUnavailable: typeof o.spec.maxUnavailable === 'number' ? o.spec.maxUnavailable + 1 : 1 };
      const r = (await s.custom.replaceClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name: policy, body: o })) as NodeNetworkConfigurationPolicy;
      return r.metadata.generation!;
    };
    s.getEnactment = async (e) => {
      try {
        return (await s.custom.getClusterCustomObject({ group: NNCE.group, version: NNCE.version, plural: NNCE.plural, name: e })) as NodeNetworkConfigurationEnactment;
      } catch (err) {
        if (is404(err)) return undefined;
        throw err;
      }
    };
  }, 60_000);

  afterAll(async () => {
    if (!s.custom) return;
    const ignore404 = (err: unknown): void => {
      if (!is404(err)) throw err;
    };
    for (const p of policies) {
      await s.cluster.deleteEnactments({ policy: p }).catch(() => undefined);
      await s.custom.deleteClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name: p }).catch(ignore404);
      const events = await s.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${p}` });
      for (const e of events.items) await s.core.deleteNamespacedEvent({ namespace: 'default', name: e.metadata.name! }).catch(ignore404);
    }
    for (const n of s.nodes ?? []) await s.core.deleteNode({ name: n }).catch(ignore404);
  }, 60_000);
  return s;
}

/** The label selector of a policy's enactments. */
export const enactmentsOf = (policy: string): string => `${LABEL_POLICY}=${policy}`;
