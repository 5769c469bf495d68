/**
 * The cluster activities' public face. The rollout workflow imports types only:
 *
 *   import type { ClusterActivities, ClusterErrorType } from '../activities/cluster/index.ts';
 *   const cluster = proxyActivities<ClusterActivities>({ taskQueue: CLUSTER_TASK_QUEUE, startToCloseTimeout: '1m' });
 *
 * The controller's worker builds them with {@link createClusterActivities}. Failure types and their
 * retryability: ./errors.ts. What they write: docs/status.md.
 */
export * from './contract.ts';
export * from './errors.ts';
export { createClusterActivities, staleReport, NOT_WRITTEN, type ClusterActivityOptions } from './cluster-activities.ts';
export { eventName, EVENT_COMPONENT } from './events.ts';
export { EVENT_NAMESPACE } from './kube-api.ts';
export { matchNodes, nodeReady, policySelector } from './resolve-nodes.ts';
