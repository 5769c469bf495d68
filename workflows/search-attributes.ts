/**
 * Custom search attributes of rollout workflows, so that the Temporal UI and `temporal workflow list`
 * can filter rollouts by policy, generation and phase and show their progress. The server must know
 * them before a workflow upserts them: the dev-server harness registers
 * {@link knmstateSearchAttributes} at start; docs/operations.md has the
 * `temporal operator search-attribute create` calls for a real server.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Name of the NodeNetworkConfigurationPolicy a rollout applies. */
export const policyNameKey = defineSearchAttributeKey('KnmstatePolicy', SearchAttributeType.KEYWORD);
/**
 * `metadata.generation` of the policy the rollout applies, as a Keyword: it identifies a revision
 * (filtered by equality), and Temporal's dev server allows only three Int attributes per namespace,
 * which the node counts use.
 */
export const policyGenerationKey = defineSearchAttributeKey('KnmstateGeneration', SearchAttributeType.KEYWORD);
/** Rollout phase (Progressing, Paused, Waiting, Completed, Halted, RolledBack, Ignored …). */
export const rolloutPhaseKey = defineSearchAttributeKey('KnmstatePhase', SearchAttributeType.KEYWORD);
/** Nodes that reached a final phase. */
export const nodesDoneKey = defineSearchAttributeKey('KnmstateNodesDone', SearchAttributeType.INT);
/** Nodes the rollout targets. */
export const nodesTotalKey = defineSearchAttributeKey('KnmstateNodesTotal', SearchAttributeType.INT);
/** Nodes that failed. */
export const nodesFailedKey = defineSearchAttributeKey('KnmstateNodesFailed', SearchAttributeType.INT);

/** Every knmstate search attribute, for registration. */
export const knmstateSearchAttributes = [policyNameKey, policyGenerationKey, rolloutPhaseKey, nodesDoneKey, nodesTotalKey, nodesFailedKey] as const;
