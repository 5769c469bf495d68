/**
 * Workflow ids, defined once for the controller, the CLI and tests. One rollout workflow per policy:
 * its id is derived from the policy name alone, so a new generation signals (or, once the last run
 * closed, starts) the same id and two rollouts of one policy can never run at once.
 */

/** Prefix of rollout workflow ids. */
export const ROLLOUT_WORKFLOW_PREFIX = 'nncp/';

/** The id of the rollout workflow of policy `policy`. */
export function rolloutWorkflowId(policy: string): string {
  if (!policy) throw new RangeError('rolloutWorkflowId: empty policy name');
  return `${ROLLOUT_WORKFLOW_PREFIX}${policy}`;
}

/** The policy name of a rollout workflow id, or undefined for another id. */
export function policyOfWorkflowId(id: string): string | undefined {
  return id.startsWith(ROLLOUT_WORKFLOW_PREFIX) && id.length > ROLLOUT_WORKFLOW_PREFIX.length ? id.slice(ROLLOUT_WORKFLOW_PREFIX.length) : undefined;
}
