/**
 * NodeNetworkState (NNS), `nmstate.io/v1beta1`, cluster-scoped, named after its node and owned by the
 * Node. The node agent writes `status` (the filtered `nmstatectl show` output) only when it changed.
 */
import { z } from 'zod';
import { conditionSchema, dateTime, doc, freeForm, objectMeta, type ResourceRef } from './schema.ts';

/** Group/version/plural of NodeNetworkState, for CustomObjectsApi. */
export const NNS = {
  group: 'nmstate.io',
  version: 'v1beta1',
  plural: 'nodenetworkstates',
  kind: 'NodeNetworkState',
  apiVersion: 'nmstate.io/v1beta1',
} as const satisfies ResourceRef;

/** NNS condition types (declared upstream, never set there). */
export const NNS_CONDITION_TYPES = ['Available', 'Failing'] as const;
/** An NNS condition type. */
export type NnsConditionType = (typeof NNS_CONDITION_TYPES)[number];
/** NNS condition reasons (`''` after a reset). */
export const NNS_CONDITION_REASONS = ['FailedToConfigure', 'SuccessfullyConfigured', ''] as const;
/** An NNS condition reason. */
export type NnsConditionReason = (typeof NNS_CONDITION_REASONS)[number];

/** Schema of one NNS condition. */
export const nnsCondition = conditionSchema(NNS_CONDITION_TYPES, NNS_CONDITION_REASONS);
/** One NNS condition. */
export type NnsCondition = z.infer<typeof nnsCondition>;

/** Schema of NNS `status`. */
export const nnsStatus = z.object({
  currentState: doc(
    freeForm(),
    "The node's network state as `nmstatectl show` reports it, filtered: veth interfaces in state ignore dropped, bridge gc/hello timers and address lifetimes removed, routes via dropped interfaces removed; only interfaces, routes, dns-resolver and ovn are kept.",
  ).optional(),
  lastSuccessfulUpdateTime: doc(dateTime(), 'When currentState last changed (an identical state is not written again).').optional(),
  handlerNmstateVersion: doc(z.string(), 'Output of `nmstatectl --version` on the node, e.g. "nmstatectl 2.2.62".').optional(),
  hostNetworkManagerVersion: doc(z.string(), "NetworkManager's version on the node; the text `kernel mode` when the agent runs nmstatectl in kernel mode (no NetworkManager), `unknown` when it could not be read.").optional(),
  handlerNetworkManagerVersion: doc(z.string(), 'Declared for compatibility with upstream; not written.').optional(),
  conditions: doc(z.array(nnsCondition), 'Conditions Available and Failing (declared for compatibility; knmstate does not set them yet).').optional(),
});
/** NNS `status`. */
export type NnsStatus = z.infer<typeof nnsStatus>;

/** Schema of a whole NodeNetworkState object. */
export const nodeNetworkState = z.object({
  apiVersion: z.literal(NNS.apiVersion),
  kind: z.literal(NNS.kind),
  metadata: objectMeta,
  status: doc(nnsStatus, 'NodeNetworkStateStatus: the observed network state of the node.').optional(),
});
/** A NodeNetworkState object. */
export type NodeNetworkState = z.infer<typeof nodeNetworkState>;

/** Label the agent sets on an NNS (value: UnixNano time) to force an immediate refresh. */
export const LABEL_FORCE_NNS_REFRESH = 'nmstate.io/force-nns-refresh';
