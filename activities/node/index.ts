/**
 * The node activities' public face. The rollout workflow imports types only:
 *
 *   import type { NodeActivities, NodeErrorType } from '../activities/node/index.ts';
 *   const node = proxyActivities<NodeActivities>({ taskQueue: nodeTaskQueue(name), startToCloseTimeout: '15m', heartbeatTimeout: '30s' });
 *
 * The contract (inputs, results, their zod schemas): ./contract.ts; the API shapes it uses (states,
 * probe settings, failure types and their retryability) live in crd/. Workers build the activities
 * with {@link createNodeActivities} (or run whole agents with workers/node-agent-host.ts
 * `startNodeAgents`).
 */
export { createNodeActivities, NodeAgent, type NodeAgentDeps } from './agent.ts';
export { checkpointTimeoutSeconds, DEFAULT_CHECKPOINT_MARGIN_SECONDS } from './checkpoint-timeout.ts';
export { KernelSupport, unsupportedLinkKinds, type KernelAnswer } from './kernel-support.ts';
export { LINK_KINDS, linksToCreate, type LinkToCreate } from './link-kinds.ts';
export * from './errors.ts';
export * from './contract.ts';
export { Journal, AgentLockedError, type AppliedRecord, type InflightRecord } from './journal.ts';
export { DEFAULT_PROBE_SETTINGS, mergeProbeSettings, resolveProbes, uniformProbeSettings } from '../../crd/probes.ts';
export { decideRecovery, type RecoveryDecision, type RecoveryObservation } from './recovery.ts';
export type { DnsLookup } from './probes.ts';
export { diffSummary, compareStates, normalizeState, restoreState, scopeOf } from './state.ts';
