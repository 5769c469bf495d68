/**
 * Smoke test: every part is real. A Temporal workflow sends an activity to one simulated node's task
 * queue; that node's worker runs the real nmstatectl inside the node's network namespace and reads
 * eth1; a cluster activity writes the result to the real kube-apiserver as a ConfigMap, read back
 * with the real kubectl.
 */
import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { Worker } from '@temporalio/worker';
import { useCluster } from './support/cluster.ts';
import { clusterActivities, nodeActivities } from './smoke/activities.ts';
import { smokeEth1 } from './smoke/workflows.ts';
import { nodeTaskQueue } from '../workflows/task-queues.ts';
import { runWorkersUntil } from './support/workers.ts';

const t = useCluster('smoke', 1);

describe('smoke', () => {
  it('given a simulated node, should read its eth1 through a workflow and store it as a ConfigMap readable with kubectl', async () => {
    const node = t.nodes.nodes[0]!;
    const { nmstatectl, kubectl } = t.cluster.tools;
    // Test-only queue for the workflow and cluster activity, so they never meet another suite's workers.
    const clusterQueue = `knmstate.smoke.${t.cluster.run.id}`;
    const workers = await Promise.all([
      Worker.create({
        connection: t.nativeConnection,
        taskQueue: nodeTaskQueue(node.name),
        activities: nodeActivities(node.netns, nmstatectl),
        activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 1 },
      }),
      Worker.create({
        connection: t.nativeConnection,
        taskQueue: clusterQueue,
        activities: clusterActivities(t.core, 'default'),
        workflowsPath: fileURLToPath(new URL('./smoke/workflows.ts', import.meta.url)),
      }),
    ]);
    const name = await runWorkersUntil(
      workers,
      t.client.workflow.execute(smokeEth1, { taskQueue: clusterQueue, workflowId: `smoke-${t.cluster.run.id}`, args: [node.name, clusterQueue] }),
    );

    const got = await execa(kubectl, ['--kubeconfig', t.cluster.info.kube.kubeconfig, 'get', 'configmap', name, '-n', 'default', '-o', 'json']);
    const cm = JSON.parse(got.stdout) as { data: { node: string; iface: string } };
    expect(cm.data.node).toBe(node.name);
    const iface = JSON.parse(cm.data.iface) as { name: string; type: string; state: string };
    expect(iface).toMatchObject({ name: 'eth1', type: 'veth', state: 'up' });
  });
});
