/** Smoke-test workflow: one node activity, then one cluster activity; proves the wiring is real. */
import { proxyActivities } from '@temporalio/workflow';
import type { ClusterActivities, NodeActivities } from './activities.ts';
import { nodeTaskQueue } from '../../workflows/task-queues.ts';

/** Reads eth1 on `node` and records it in a ConfigMap; returns the ConfigMap's name. */
export async function smokeEth1(node: string, clusterQueue: string): Promise<string> {
  const { readInterface } = proxyActivities<NodeActivities>({ taskQueue: nodeTaskQueue(node), startToCloseTimeout: '30s' });
  const { writeConfigMap } = proxyActivities<ClusterActivities>({ taskQueue: clusterQueue, startToCloseTimeout: '30s' });
  const iface = await readInterface('eth1');
  return await writeConfigMap(`smoke-${node}`, { node, iface: JSON.stringify(iface) });
}
