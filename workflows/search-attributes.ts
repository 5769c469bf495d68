/**
 * Custom search attributes of rollout workflows, so that the Temporal UI and `temporal workflow list`
 * can filter rollouts by policy, generation and phase. The server must know them before a workflow
 * upserts them: the dev-server harness registers {@link knmstateSearchAttributes} at start, and
 * deploy/ documents the `temporal operator search-attribute create` call for a real server.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Name of the NodeNetworkConfigurationPolicy a rollout applies. */
export const policyNameKey = defineSearchAttributeKey('KnmstatePolicy', SearchAttributeType.KEYWORD);
/** `metadata.generation` of the policy the rollout applies. */
export const policyGenerationKey = defineSearchAttributeKey('KnmstateGeneration', SearchAttributeType.INT);
/** Rollout phase (Progressing, Paused, Available, Degraded, Aborted …). */
export const rolloutPhaseKey = defineSearchAttributeKey('KnmstatePhase', SearchAttributeType.KEYWORD);

/** Every knmstate search attribute, for registration. */
export const knmstateSearchAttributes = [policyNameKey, policyGenerationKey, rolloutPhaseKey] as const;
