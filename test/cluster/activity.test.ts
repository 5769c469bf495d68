/**
 * The cluster activities as a Temporal worker runs them, on the real apiserver: the status names the
 * calling workflow, failures cross Temporal typed (non-retryable ones are not retried), and the
 * least-privilege rules below are enough for every write (the controller's RBAC).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { KubeConfig, type V1PolicyRule } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { openCluster, type Cluster } from '../../hack/cluster/cluster.ts';
import { createClusterActivities } from '../../activities/cluster/index.ts';
import { trueCondition } from '../../crd/conditions.ts';
import { enactmentName } from '../../crd/nnce.ts';
import { callReportStatus } from './workflows.ts';
import { progressOf } from './progress-fixture.ts';
import { useStatusCluster } from './support.ts';

/** What the cluster activities need, and nothing more. */
export const CLUSTER_ACTIVITY_RULES: V1PolicyRule[] = [
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] },
  { apiGroups: ['nmstate.io'], resources: ['nodenetworkconfigurationpolicies'], verbs: ['get'] },
  { apiGroups: ['nmstate.io'], resources: ['nodenetworkconfigurationpolicies/status'], verbs: ['update'] },
  { apiGroups: ['nmstate.io'], resources: ['nodenetworkconfigurationenactments'], verbs: ['get', 'list', 'create', 'delete'] },
  { apiGroups: ['nmstate.io'], resources: ['nodenetworkconfigurationenactments/status'], verbs: ['update'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

const s = useStatusCluster('cact', 2);
let cluster: Cluster;
let connection: Connection;
let native: NativeConnection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
/** Credentials with exactly {@link CLUSTER_ACTIVITY_RULES}. */
let leastPrivilege: KubeConfig;
const queue = `knmstate.test.cluster.${randomUUID()}`;

beforeAll(async () => {
  cluster = openCluster();
  // the worker runs the activities under least-privilege credentials
  const user = await cluster.mintUser(`cluster-activities-${randomUUID().slice(0, 8)}`, CLUSTER_ACTIVITY_RULES);
  leastPrivilege = new KubeConfig();
  leastPrivilege.loadFromFile(user.kubeconfig);
  connection = await Connection.connect({ address: cluster.info.temporal.address });
  client = new Client({ connection, namespace: cluster.info.temporal.namespace });
  native = await NativeConnection.connect({ address: cluster.info.temporal.address });
  worker = await Worker.create({
    connection: native,
    namespace: cluster.info.temporal.namespace,
    taskQueue: queue,
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    activities: createClusterActivities({ kubeConfig: leastPrivilege }),
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await native?.close();
  await connection?.close();
}, 60_000);

const call = (input: Parameters<typeof callReportStatus>[1], attempts = 3) =>
  client.workflow.execute(callReportStatus, { taskQueue: queue, workflowId: `cluster-test-${randomUUID()}`, args: [queue, input, attempts] });

describe('cluster activities on a Temporal worker with least privilege', () => {
  it('given a report from a workflow, should write everything and name that workflow in status.rollout', async () => {
    const policy = 'act-report';
    const { uid, generation } = await s.createPolicy(policy);
    const [n1, n2] = s.nodes as [string, string];
    const out = await call({
      policy,
      uid,
      generation,
      progress: progressOf(['Succeeded', 'Failed'], { policy, generation, nodeNames: [n1, n2] }),
      enactments: [
        { node: n1, phase: 'Succeeded', attempts: 1, maxAttempts: 2 },
        { node: n2, phase: 'Failed', attempts: 2, maxAttempts: 2, error: 'probe failed' },
      ],
      events: [{ reason: 'ReconcileFailed', node: n2, message: `reconciliation of enactment "${n2}.${policy}" has failed after 2 retries` }],
    });
    expect(out).toMatchObject({ ok: true, result: { written: true } });
    const o = await s.getPolicy(policy);
    expect(o.status?.rollout?.workflowId).toBe(out.ok ? out.workflowId : 'unreachable');
    expect(trueCondition(o.status?.conditions)).toMatchObject({ type: 'Degraded', message: '1/2 nodes failed to configure' });
    expect(trueCondition((await s.getEnactment(enactmentName(n2, policy)))?.status?.conditions)).toMatchObject({ type: 'Failing', message: 'probe failed' });
    const events = await s.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${policy}` });
    expect(events.items).toHaveLength(1);
    const del = await createClusterActivities({ kubeConfig: leastPrivilege }).deleteEnactments({ policy });
    expect(del.deleted).toHaveLength(2);
    const resolved = await createClusterActivities({ kubeConfig: leastPrivilege }).resolveNodes({ policy, generation, spec: { nodeSelector: { 'knmstate.io/status-test': s.group } } });
    expect(resolved.nodes.map((n) => n.name)).toEqual([n1, n2]);
  });

  it('given input that breaks the contract, should fail at once as non-retryable InvalidClusterInput', async () => {
    const out = await call({ policy: '', generation: 1, progress: progressOf([]), enactments: [] }, 5);
    expect(out).toMatchObject({ ok: false, type: 'InvalidClusterInput', nonRetryable: true, retryState: 'NON_RETRYABLE_FAILURE' });
  });

  it('given credentials that may not write the status, should fail as non-retryable ClusterForbidden', async () => {
    const policy = 'act-forbidden';
    const { uid, generation } = await s.createPolicy(policy);
    const reader = await cluster.mintUser(`nncp-reader-${randomUUID().slice(0, 8)}`, [{ apiGroups: ['nmstate.io'], resources: ['nodenetworkconfigurationpolicies'], verbs: ['get'] }]);
    const kc = new KubeConfig();
    kc.loadFromFile(reader.kubeconfig);
    const failure = await createClusterActivities({ kubeConfig: kc })
      .reportStatus({ policy, uid, generation, progress: progressOf(['Pending'], { policy, generation, nodeNames: s.nodes.slice(0, 1) }), enactments: [] })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(failure).toMatchObject({ type: 'ClusterForbidden', nonRetryable: true });
    expect(String((failure as Error).message)).toMatch(/403/);
  });
});
