/**
 * Task queue names, defined once for workflows, workers and the CLI.
 *
 * - `knmstate.cluster`: the controller's queue; rollout workflows and the cluster-side activities
 *   (node resolution, NNCP/NNCE status writes) run here.
 * - `knmstate.node.<nodeName>`: one per node; only that node's agent polls it, so an activity
 *   scheduled there runs on exactly that node.
 */

/** Queue of rollout workflows and cluster-side activities. */
export const CLUSTER_TASK_QUEUE = 'knmstate.cluster';

/** The task queue of one node's agent. */
export function nodeTaskQueue(nodeName: string): string {
  if (!nodeName) throw new Error('nodeTaskQueue: empty node name');
  return `knmstate.node.${nodeName}`;
}
