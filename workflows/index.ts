/**
 * The workflows a knmstate workflow worker registers (`workflowsPath` points here). Only workflow
 * code may be exported from this file: the worker bundles everything it reaches.
 */
export { policyRollout } from './policy-rollout.ts';
export { planPolicy } from './plan-policy.ts';
