/**
 * Test helpers on top of the harness: the shared control plane and a node group per test file,
 * torn down after the file's tests even when they fail.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { openCluster, type Cluster } from '../../hack/cluster/cluster.ts';
import type { NodeGroup, NodeMode } from '../../hack/cluster/nodes.ts';

/** What a test file gets from {@link useCluster}; filled in beforeAll. */
export interface TestCluster {
  cluster: Cluster;
  nodes: NodeGroup;
  kc: KubeConfig;
  core: CoreV1Api;
  client: Client;
  /** For Worker.create. */
  nativeConnection: NativeConnection;
}

/**
 * Attaches to the run's control plane and creates `count` simulated nodes named `<group>-1…`.
 * The group name must be unique across test files (they run in parallel). `opts.mode` picks the
 * node mode (default: KNMSTATE_NODE_MODE, the run's, else networkmanager); `opts.mgmtProfile` gives
 * eth0 a NetworkManager keyfile profile (NetworkManager mode).
 */
export function useCluster(group: string, count: number, opts: { mode?: NodeMode; mgmtProfile?: boolean } = {}): TestCluster {
  const t = {} as TestCluster;
  let connection: Connection | undefined;
  beforeAll(async () => {
    t.cluster = openCluster();
    t.nodes = await t.cluster.addNodes({ name: group, count, ...(opts.mode ? { mode: opts.mode } : {}), ...(opts.mgmtProfile ? { mgmtProfile: true } : {}) });
    t.kc = new KubeConfig();
    t.kc.loadFromFile(t.cluster.info.kube.kubeconfig);
    t.core = t.kc.makeApiClient(CoreV1Api);
    connection = await Connection.connect({ address: t.cluster.info.temporal.address });
    t.client = new Client({ connection, namespace: t.cluster.info.temporal.namespace });
    t.nativeConnection = await NativeConnection.connect({ address: t.cluster.info.temporal.address });
  }, 60_000);
  afterAll(async () => {
    await t.nativeConnection?.close();
    await connection?.close();
    await t.nodes?.teardown();
  }, 60_000);
  return t;
}
