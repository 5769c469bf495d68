/**
 * NodeNetworkConfigurationEnactment (NNCE), `nmstate.io/v1beta1`, cluster-scoped: one per (node,
 * policy), named `<node>.<policy>`, owned by the Node, labelled `nmstate.io/policy` and
 * `nmstate.io/node`. It has no spec; everything lives in `status`, exactly as upstream defines it.
 */
import { z } from 'zod';
import { conditionSchema, doc, freeForm, objectMeta, type ResourceRef } from './schema.ts';
import { captureMetaInfoSchema, capturedStatesSchema } from './network-state.ts';

/** Group/version/plural of NodeNetworkConfigurationEnactment, for CustomObjectsApi. */
export const NNCE = {
  group: 'nmstate.io',
  version: 'v1beta1',
  plural: 'nodenetworkconfigurationenactments',
  kind: 'NodeNetworkConfigurationEnactment',
  apiVersion: 'nmstate.io/v1beta1',
} as const satisfies ResourceRef;

/** NNCE condition types. */
export const NNCE_CONDITION_TYPES = ['Available', 'Failing', 'Progressing', 'Pending', 'Aborted'] as const;
/** An NNCE condition type. */
export type NnceConditionType = (typeof NNCE_CONDITION_TYPES)[number];

/** NNCE condition reasons, byte for byte as upstream (`''` on creation and after a generation change). */
export const NNCE_CONDITION_REASONS = [
  'FailedToConfigure',
  'Retrying',
  'SuccessfullyConfigured',
  'MaxUnavailableLimitReached',
  'ConfigurationProgressing',
  'ConfigurationAborted',
  '',
] as const;
/** An NNCE condition reason. */
export type NnceConditionReason = (typeof NNCE_CONDITION_REASONS)[number];

/** Schema of one NNCE condition. */
export const nnceCondition = conditionSchema(NNCE_CONDITION_TYPES, NNCE_CONDITION_REASONS);
/** One NNCE condition. */
export type NnceCondition = z.infer<typeof nnceCondition>;


/** Schema of NNCE `status`. */
export const nnceStatus = z.object({
  desiredState: doc(freeForm(), 'The state rendered for this node: captures resolved and default bridge VLAN filtering injected.').optional(),
  desiredStateMetaInfo: doc(captureMetaInfoSchema, 'Declared for compatibility with upstream (not populated).').optional(),
  capturedStates: doc(
    capturedStatesSchema,
    "nmpolicy captures by name, resolved once against the node's state at the enactment's first reconcile and reused afterwards (that is why spec.capture is immutable).",
  ).optional(),
  policyGeneration: doc(z.int().min(0), 'The NNCP metadata.generation this enactment refers to.').optional(),
  conditions: doc(z.array(nnceCondition), 'Conditions Available, Failing, Progressing, Pending and Aborted; exactly one is True once the node has been handled.').optional(),
  features: doc(z.array(z.string()), 'nmstate feature names used by the rendered state (from `nmstatectl st`).').optional(),
  retryCount: doc(z.record(z.string(), z.int().min(0)), 'Failed apply attempts per policy generation (decimal string key).').optional(),
});
/** NNCE `status`. */
export type NnceStatus = z.infer<typeof nnceStatus>;

/** Schema of a whole NodeNetworkConfigurationEnactment object. */
export const nodeNetworkConfigurationEnactment = z.object({
  apiVersion: z.literal(NNCE.apiVersion),
  kind: z.literal(NNCE.kind),
  metadata: objectMeta,
  status: doc(nnceStatus, 'NodeNetworkConfigurationEnactmentStatus: what was applied on the node for the policy, and how it went.').optional(),
});
/** A NodeNetworkConfigurationEnactment object. */
export type NodeNetworkConfigurationEnactment = z.infer<typeof nodeNetworkConfigurationEnactment>;

/** Label on an NNCE naming its policy. */
export const LABEL_POLICY = 'nmstate.io/policy';
/** Label on an NNCE naming its node. */
export const LABEL_NODE = 'nmstate.io/node';

/** The NNCE name for a node and a policy: `<node>.<policy>` (upstream `EnactmentKey`). */
export function enactmentName(nodeName: string, policyName: string): string {
  return `${nodeName}.${policyName}`;
}
