/**
 * NodeNetworkConfigurationPolicy (NNCP), `nmstate.io/v1` (storage) and `v1beta1` (served, deprecated,
 * same schema): upstream's fields unchanged, plus knmstate's optional rollout controls
 * (`spec.rollout`, `spec.probes`) and rollout status. Every new field is optional and its absence
 * gives upstream's behaviour exactly.
 *
 * Each CEL rule here has a TypeScript twin (a zod refinement) so that `nncpSpec.parse()` rejects what
 * the apiserver rejects; test/api checks both against the same table of invalid manifests. Spec
 * objects are strict (unknown fields are errors, as with kubectl's strict field validation); status
 * objects strip unknown fields.
 */
import { z } from 'zod';
import { celString, conditionSchema, dateTime, doc, objectMeta, freeForm, type ResourceRef } from './schema.ts';
import { DURATION_PATTERN, PERCENT_PATTERN, parseDuration } from './quantities.ts';
import { isLabelValue, isQualifiedName, QUALIFIED_NAME_PATTERN, LABEL_VALUE_PATTERN } from './labels.ts';
import { DNS_NAME_PATTERN, isDnsName } from './net.ts';

/** Group/version/plural of NodeNetworkConfigurationPolicy (storage version v1), for CustomObjectsApi. */
export const NNCP = {
  group: 'nmstate.io',
  version: 'v1',
  plural: 'nodenetworkconfigurationpolicies',
  kind: 'NodeNetworkConfigurationPolicy',
  apiVersion: 'nmstate.io/v1',
} as const satisfies ResourceRef;

/** NNCP condition types. */
export const NNCP_CONDITION_TYPES = ['Available', 'Degraded', 'Progressing', 'Ignored'] as const;
/** An NNCP condition type. */
export type NncpConditionType = (typeof NNCP_CONDITION_TYPES)[number];
/** NNCP condition reasons, byte for byte as upstream (`''` after a reset). */
export const NNCP_CONDITION_REASONS = ['FailedToConfigure', 'SuccessfullyConfigured', 'ConfigurationProgressing', 'NoMatchingNode', ''] as const;
/** An NNCP condition reason. */
export type NncpConditionReason = (typeof NNCP_CONDITION_REASONS)[number];

/** Schema of one NNCP condition. */
export const nncpCondition = conditionSchema(NNCP_CONDITION_TYPES, NNCP_CONDITION_REASONS);
/** One NNCP condition. */
export type NncpCondition = z.infer<typeof nncpCondition>;

// ---------------------------------------------------------------------------------------------
// Shared value types

const INT_OR_PERCENT_MESSAGE = 'must be an integer >= 0 or a percentage "N%" with N in 0-100';

/** Regex of a percentage of at least 1%. */
const POSITIVE_PERCENT_PATTERN = '^(100|[1-9][0-9]?)%$';

/**
 * int-or-string count (`3`, `"50%"`), validated like {@link parseIntOrPercent}; with `positive`,
 * at least 1 node or 1%.
 */
function intOrPercent(description: string, opts: { positive?: boolean } = {}) {
  const min = opts.positive ? 1 : 0;
  const pattern = opts.positive ? POSITIVE_PERCENT_PATTERN : PERCENT_PATTERN;
  const rule = `type(self) == int ? self >= ${min} : self.matches(${celString(pattern)})`;
  const message = opts.positive ? 'must be an integer >= 1 or a percentage "N%" with N in 1-100' : INT_OR_PERCENT_MESSAGE;
  const schema = z.union([z.int().min(min), z.string().max(4).regex(new RegExp(pattern))]);
  return doc(schema, description, { 'x-kubernetes-validations': [{ rule, message }] });
}

/** A duration string within [min, max], validated in CEL and in TypeScript alike. */
function duration(description: string, min: string, max: string, extra: string[] = []) {
  const allowed = extra.map((e) => `self == '${e}' || `).join('');
  const rule = `${allowed}(self.matches(${celString(DURATION_PATTERN)}) && duration(self) >= duration('${min}') && duration(self) <= duration('${max}'))`;
  const alt = extra.length ? ` or ${extra.map((e) => `"${e}"`).join(', ')}` : '';
  const message = `must be a duration like "30s", "5m" or "1h30m" (units ms, s, m, h) between ${min} and ${max}${alt}`;
  const schema = z
    .string()
    .max(32)
    .refine((s) => {
      if (extra.includes(s)) return true;
      try {
        const ms = parseDuration(s);
        return ms >= parseDuration(min) && ms <= parseDuration(max);
      } catch {
        return false;
      }
    }, message);
  return doc(schema, description, { 'x-kubernetes-validations': [{ rule, message }] });
}

// ---------------------------------------------------------------------------------------------
// spec.rollout

/** Rollout phases of the per-node entries. */
export const NODE_ROLLOUT_PHASES = ['Pending', 'Applying', 'Verifying', 'Retrying', 'Succeeded', 'Failed', 'Aborted', 'RollingBack', 'RolledBack', 'Skipped'] as const;
/** A node's phase in a rollout. */
export type NodeRolloutPhase = (typeof NODE_ROLLOUT_PHASES)[number];

/** Rollout phases of the whole policy. */
export const ROLLOUT_PHASES = ['Pending', 'Progressing', 'Paused', 'Waiting', 'Completed', 'Halted', 'RollingBack', 'RolledBack', 'Ignored'] as const;
/** The phase of a policy's rollout. */
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

/** What happens when the failure budget is exhausted. */
export const ON_FAILURE_MODES = ['halt', 'rollback'] as const;
/** A failure mode. */
export type OnFailureMode = (typeof ON_FAILURE_MODES)[number];

/** Operators of a node selector requirement (as in core/v1 NodeSelectorRequirement). */
export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] as const;
/** A node selector operator. */
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

/** The value of a manual gate in `waves[].pause`. */
export const MANUAL_PAUSE = 'manual';

/**
 * Annotation that opens manual gates: a gate after wave N (1-based) opens once this annotation holds
 * an integer ≥ N. Annotations do not change `metadata.generation`, so promoting never starts a new
 * rollout. `kubectl annotate nncp <name> --overwrite nmstate.io/rollout-approved-wave=1`.
 */
export const ANNOTATION_APPROVED_WAVE = 'nmstate.io/rollout-approved-wave';

const wave = z.strictObject({
  nodes: intOrPercent(
    'How many nodes this wave takes: a count (>= 1) or a percentage (1%-100%) of the matching nodes, rounded up, at least 1. Waves take nodes in rollout order; nodes left after the last wave form one final wave. A wave that finds no nodes left is skipped.',
    { positive: true },
  ),
  pause: duration(
    'What happens after this wave succeeds, before the next wave starts: a duration ("10m") to soak, or "manual" to wait for approval (annotation nmstate.io/rollout-approved-wave >= this wave\'s 1-based number). Absent: the next wave starts at once. Ignored after the last wave.',
    '1s',
    '720h',
    [MANUAL_PAUSE],
  ).optional(),
});

const orderKey = z
  .strictObject({
    label: doc(z.string().max(317).refine(isQualifiedName, 'must be a valid label key (qualified name)'), 'Sort by the value of this node label (nodes without it sort last).', {
      'x-kubernetes-validations': [{ rule: `self.matches(${celString(QUALIFIED_NAME_PATTERN)})`, message: 'must be a valid label key (qualified name)' }],
    }).optional(),
    field: doc(z.enum(['name']), 'Sort by this node field; only "name" is supported.').optional(),
    descending: doc(z.boolean(), 'Reverse this key. Default false (ascending, byte order).').optional(),
  })
  .refine((k) => (k.label === undefined) !== (k.field === undefined), 'exactly one of label or field must be set');
const orderKeyDoc = doc(orderKey, 'One ordering key: a node label or a node field.', {
  'x-kubernetes-validations': [{ rule: 'has(self.label) != has(self.field)', message: 'exactly one of label or field must be set' }],
});

const REQUIREMENT_VALUES_RULE =
  "(self.operator in ['In', 'NotIn'] && has(self.values) && size(self.values) > 0) || (self.operator in ['Exists', 'DoesNotExist'] && (!has(self.values) || size(self.values) == 0)) || (self.operator in ['Gt', 'Lt'] && has(self.values) && size(self.values) == 1 && self.values[0].matches('^-?[0-9]+$'))";
const REQUIREMENT_VALUES_MESSAGE = 'values must fit the operator: In/NotIn need at least one, Exists/DoesNotExist none, Gt/Lt exactly one integer';

const selectorRequirement = z
  .strictObject({
    key: doc(z.string().max(317).refine(isQualifiedName, 'must be a valid label key (qualified name)'), 'The node label key the requirement applies to.', {
      'x-kubernetes-validations': [{ rule: `self.matches(${celString(QUALIFIED_NAME_PATTERN)})`, message: 'must be a valid label key (qualified name)' }],
    }),
    operator: doc(z.enum(SELECTOR_OPERATORS), 'In, NotIn, Exists, DoesNotExist, Gt or Lt (Gt/Lt compare one integer value).'),
    values: doc(z.array(z.string().max(63).refine(isLabelValue, 'must be valid label values')).max(32), 'Values for In/NotIn (at least one), one integer for Gt/Lt, none for Exists/DoesNotExist.', {
      'x-kubernetes-validations': [{ rule: `self.all(v, v.matches(${celString(LABEL_VALUE_PATTERN)}))`, message: 'values must be valid label values' }],
    }).optional(),
  })
  .refine((r) => requirementValuesProblem(r.operator, r.values) === null, { message: REQUIREMENT_VALUES_MESSAGE });
const requirementDoc = doc(selectorRequirement, 'A node label requirement.', {
  'x-kubernetes-validations': [{ rule: REQUIREMENT_VALUES_RULE, message: REQUIREMENT_VALUES_MESSAGE }],
});

/** Why a requirement's values do not fit its operator, or null (shared by zod and the docs). */
export function requirementValuesProblem(operator: SelectorOperator, values: readonly string[] | undefined): string | null {
  const n = values?.length ?? 0;
  if ((operator === 'In' || operator === 'NotIn') && n === 0) return 'In and NotIn need at least one value';
  if ((operator === 'Exists' || operator === 'DoesNotExist') && n > 0) return 'Exists and DoesNotExist take no values';
  if ((operator === 'Gt' || operator === 'Lt') && (n !== 1 || !/^-?[0-9]+$/.test(values?.[0] ?? ''))) return 'Gt and Lt take exactly one integer value';
  return null;
}

const rollout = z.strictObject({
  waves: doc(
    z.array(wave).min(1).max(20),
    'Ordered stages of the rollout, e.g. a 1-node canary, then 10%, then the rest. Absent: one wave with every matching node (upstream behaviour). Within a wave at most maxUnavailable nodes are updating at once.',
  ).optional(),
  maxFailures: intOrPercent(
    'Failure budget: how many nodes may fail (count, or percentage of the matching nodes rounded down) before the rollout stops starting nodes and applies onFailure. Separate from maxUnavailable. Absent: upstream\'s rule, stop when failed nodes reach the maxUnavailable limit.',
  ).optional(),
  paused: doc(
    z.boolean(),
    'true pauses the rollout: nodes in flight finish (verify, then commit or roll back), no new node starts. false resumes. Changing only this field does not start a new rollout. Default false.',
  ).optional(),
  onFailure: doc(
    z.enum(ON_FAILURE_MODES),
    'What to do when the failure budget is spent: "halt" stops and keeps the nodes already configured (upstream behaviour, the default); "rollback" stops and reverts the configured nodes, in reverse order, under the same maxUnavailable.',
  ).optional(),
  order: doc(
    z.array(orderKeyDoc).max(8),
    'Node ordering keys, applied in turn, e.g. [{label: topology.kubernetes.io/zone}, {field: name}]. Ties are always broken by node name, so the order is deterministic. Absent: by node name.',
  ).optional(),
  nodeSelectorTerms: doc(
    z
      .array(
        z.strictObject({
          matchExpressions: doc(z.array(requirementDoc).min(1).max(16), 'Requirements that must all hold (AND).'),
        }),
      )
      .min(1)
      .max(8),
    'Set-based node selection (as in node affinity): a node matches when any term matches (OR); a term matches when all its requirements hold. Combined with spec.nodeSelector by AND. Absent: spec.nodeSelector alone decides.',
  ).optional(),
});

const rolloutSchema = doc(
  rollout,
  "knmstate's rollout controls (not in upstream): waves, failure budget, pause, failure mode, ordering and set-based selection. All optional; absent, the rollout behaves as upstream's.",
);

// ---------------------------------------------------------------------------------------------
// spec.probes

const probe = (what: string, selected: string) =>
  z.strictObject({
    enabled: doc(z.boolean(), `Run the ${what} probe. Default true.`).optional(),
    timeout: duration(`How long the ${what} probe may poll (every 1 s) before it counts as failed, ${selected} Default 120s (upstream's fixed value).`, '1s', '10m').optional(),
  });

const probes = doc(
  z.strictObject({
    ping: doc(probe('gateway ping', 'after the change.'), "Pings the IPv4/IPv6 default gateway of the main table (254) through its interface. Selected only if it passes before the change, within one short check (the node agent's KNMSTATE_PROBE_SELECT_TIMEOUT_SECONDS, default 5).").optional(),
    dns: doc(
      probe('DNS', 'after the change.').extend({
        host: doc(z.string().max(253).refine(isDnsName, 'must be a DNS name'), "Name to resolve through each configured name server. Default: the node agent's PROBE_DNS_HOST, root-servers.net (an NS lookup) unless set.", {
          'x-kubernetes-validations': [{ rule: `self.matches(${celString(DNS_NAME_PATTERN)})`, message: 'must be a DNS name' }],
        }).optional(),
      }),
      "Resolves a name through the configured name servers. Selected only if it passes before the change, within one short check (the node agent's KNMSTATE_PROBE_SELECT_TIMEOUT_SECONDS, default 5).",
    ).optional(),
    apiServer: doc(probe('API server', 'after the change.'), 'GETs namespace default from the Kubernetes API server with a fresh connection. Always selected.').optional(),
    nodeReadiness: doc(probe('node readiness', 'after the change.'), "Checks that the node's Ready condition is True. Always selected.").optional(),
  }),
  "Connectivity probes run on each node after the change; any failure rolls the node back (NetworkManager checkpoint, or knmstate's own record in kernel mode). Absent: upstream's four probes with their 120 s timeouts.",
);

// ---------------------------------------------------------------------------------------------
// spec

const nodeSelector = doc(
  z
    .record(z.string(), z.string())
    .refine((m) => Object.keys(m).length <= 256, 'must have at most 256 entries')
    .refine((m) => Object.keys(m).every(isQualifiedName), 'nodeSelector keys must be valid qualified names')
    .refine((m) => Object.values(m).every(isLabelValue), 'nodeSelector values must be valid label values'),
  "Selector which must match a node's labels (equality of every key/value pair) for the policy to be applied to that node. Empty or absent: every node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
  {
    maxProperties: 256,
    'x-kubernetes-validations': [{ rule: `self.all(k, k.matches(${celString(QUALIFIED_NAME_PATTERN)}) && (!k.contains('/') || k.indexOf('/') <= 253))`, message: 'nodeSelector keys must be valid qualified names' }],
  },
);

/** Schema of NNCP `spec` (both versions). */
export const nncpSpec = z.strictObject({
  desiredState: doc(
    freeForm(),
    'The desired configuration of the policy: an nmstate state (interfaces, routes, dns-resolver, route-rules, ...). String values may hold nmpolicy templates "{{ capture.<name>.<path> }}". Kept as is by the API; knmstate checks its structure before any node is touched.',
  ).optional(),
  nodeSelector: nodeSelector.optional(),
  capture: doc(
    z.record(z.string(), z.string()),
    'nmpolicy capture expressions by name, referenced from desiredState as {{ capture.<name>.<path> }}. Resolved once per node and cached in the enactment. Immutable after creation (delete and recreate the policy to change it).',
  ).optional(),
  maxUnavailable: intOrPercent(
    'How many nodes may be updating at once: a count or a percentage of the matching nodes. Percentages round up; the result is at least 1 (so 0 and "0%" mean 1). Default "50%".',
  ).optional(),
  rollout: rolloutSchema.optional(),
  probes: probes.optional(),
});
/** NNCP `spec`. */
export type NncpSpec = z.infer<typeof nncpSpec>;
/** `spec.rollout`. */
export type RolloutSpec = NonNullable<NncpSpec['rollout']>;
/** One entry of `spec.rollout.waves`. */
export type WaveSpec = NonNullable<RolloutSpec['waves']>[number];
/** One entry of `spec.rollout.order`. */
export type OrderKey = NonNullable<RolloutSpec['order']>[number];
/** One term of `spec.rollout.nodeSelectorTerms`. */
export type NodeSelectorTerm = NonNullable<RolloutSpec['nodeSelectorTerms']>[number];
/** One requirement of a node selector term. */
export type NodeSelectorRequirement = NodeSelectorTerm['matchExpressions'][number];
/** `spec.probes`. */
export type ProbesSpec = NonNullable<NncpSpec['probes']>;

// ---------------------------------------------------------------------------------------------
// status

/** Longest `lastError` of a node entry; writers must truncate (see {@link truncateError}). */
export const NODE_ERROR_MAX_LENGTH = 256;
/** Longest `status.rollout.message`. */
export const ROLLOUT_MESSAGE_MAX_LENGTH = 2048;
/** Most node entries in `status.rollout.nodes` (Kubernetes supports 5000 nodes per cluster). */
export const MAX_STATUS_NODES = 5000;

const nodeStatus = z.object({
  name: doc(z.string().max(253), 'Node name.'),
  wave: doc(z.int().min(1), 'The 1-based wave the node belongs to.').optional(),
  phase: doc(z.enum(NODE_ROLLOUT_PHASES), 'Pending, Applying, Verifying, Retrying, Succeeded, Failed, Aborted (never started: budget spent or rollout stopped), RollingBack, RolledBack or Skipped (not Ready when its turn came).'),
  attempts: doc(z.int().min(0), 'Apply attempts made for this generation.').optional(),
  lastError: doc(z.string().max(NODE_ERROR_MAX_LENGTH), `Last error, truncated to ${NODE_ERROR_MAX_LENGTH} characters (the full text is in the node's enactment).`).optional(),
  startTime: doc(dateTime(), 'When the node was started.').optional(),
  completionTime: doc(dateTime(), 'When the node reached a final phase.').optional(),
});
/** One node's entry in the rollout status. */
export type NodeRolloutStatus = z.infer<typeof nodeStatus>;

const counts = z.object({
  matched: doc(z.int().min(0), 'Nodes that match the selectors.').optional(),
  pending: doc(z.int().min(0), 'Nodes not started yet.').optional(),
  inProgress: doc(z.int().min(0), 'Nodes applying, verifying, retrying or rolling back.').optional(),
  succeeded: doc(z.int().min(0), 'Nodes configured.').optional(),
  failed: doc(z.int().min(0), 'Nodes that failed (and rolled themselves back).').optional(),
  aborted: doc(z.int().min(0), 'Nodes never started because the rollout stopped.').optional(),
  rolledBack: doc(z.int().min(0), 'Configured nodes reverted by a rollback.').optional(),
  skipped: doc(z.int().min(0), 'Nodes skipped because they were not Ready.').optional(),
});
/** Node counts of a rollout. */
export type RolloutCounts = z.infer<typeof counts>;

const rolloutStatus = z.object({
  phase: doc(z.enum(ROLLOUT_PHASES), 'Pending, Progressing, Paused (spec.rollout.paused), Waiting (between waves: soak timer or manual gate), Completed, Halted, RollingBack, RolledBack, or Ignored (no matching node).'),
  workflowId: doc(z.string().max(512), 'The Temporal workflow running this rollout.').optional(),
  currentWave: doc(z.int().min(0), 'The 1-based wave in progress (0 before the first).').optional(),
  totalWaves: doc(z.int().min(0), 'How many waves the plan has.').optional(),
  gate: doc(
    z.object({
      afterWave: doc(z.int().min(1), 'The wave that just finished.'),
      until: doc(dateTime(), 'When a timed pause ends; absent for a manual gate.').optional(),
    }),
    'Set while the rollout waits between waves.',
  ).optional(),
  counts: doc(counts, 'Node counts by phase.').optional(),
  abort: doc(
    z.object({
      mode: doc(z.enum(ON_FAILURE_MODES), 'halt or rollback.'),
      reason: doc(z.string().max(1024), 'Why: failure budget spent, or a user request.').optional(),
      requestedBy: doc(z.string().max(253), 'Who asked, for a user request.').optional(),
      time: doc(dateTime(), 'When.').optional(),
    }),
    'Set when the rollout stopped early: which mode ran, who asked and when.',
  ).optional(),
  message: doc(z.string().max(ROLLOUT_MESSAGE_MAX_LENGTH), 'Human-readable summary of the latest event.').optional(),
  startTime: doc(dateTime(), 'When this rollout started.').optional(),
  completionTime: doc(dateTime(), 'When it reached a final phase.').optional(),
  nodes: doc(z.array(nodeStatus).max(MAX_STATUS_NODES), 'One compact entry per matching node, in rollout order.', {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
  }).optional(),
});
/** `status.rollout`. */
export type RolloutStatus = z.infer<typeof rolloutStatus>;

/** Schema of NNCP `status`. */
export const nncpStatus = z.object({
  conditions: doc(z.array(nncpCondition), 'Conditions Available, Degraded, Progressing and Ignored, with upstream reasons and messages.').optional(),
  unavailableNodeCountMap: doc(z.record(z.string(), z.int().min(0)), "Upstream's per-generation slot counter; knmstate keeps it empty (one workflow enforces maxUnavailable).").optional(),
  unavailableNodeCount: doc(z.int().min(0), 'Legacy (upstream), not written.').optional(),
  lastUnavailableNodeCountUpdate: doc(dateTime(), 'Legacy (upstream), not written.').optional(),
  observedGeneration: doc(z.int().min(0), 'The metadata.generation the conditions and the rollout status describe (knmstate addition).').optional(),
  rollout: doc(rolloutStatus, 'Progress of the current rollout (knmstate addition).').optional(),
});
/** NNCP `status`. */
export type NncpStatus = z.infer<typeof nncpStatus>;

/** Schema of a whole NodeNetworkConfigurationPolicy object (either served version). */
export const nodeNetworkConfigurationPolicy = z.object({
  apiVersion: z.enum(['nmstate.io/v1', 'nmstate.io/v1beta1']),
  kind: z.literal(NNCP.kind),
  metadata: objectMeta,
  spec: doc(nncpSpec, 'NodeNetworkConfigurationPolicySpec: the desired state and where and how to roll it out.'),
  status: doc(nncpStatus, 'NodeNetworkConfigurationPolicyStatus: the observed state of the rollout.').optional(),
});
/** A NodeNetworkConfigurationPolicy object. */
export type NodeNetworkConfigurationPolicy = z.infer<typeof nodeNetworkConfigurationPolicy>;

/** Truncates an error for `status.rollout.nodes[].lastError` (keeps the head, marks the cut). */
export function truncateError(message: string, max = NODE_ERROR_MAX_LENGTH): string {
  return message.length <= max ? message : `${message.slice(0, max - 1)}…`;
}

/**
 * Size budget for an NNCP status, well under the apiserver's 1.5 MiB request limit (the spec and
 * metadata share that limit). A 1000-node status is ~140 KB typically and ~470 KB in the worst case
 * (see crd/README.md); only thousands of failed nodes with long errors come near this budget.
 */
export const STATUS_BUDGET_BYTES = 1_000_000;

/**
 * Keeps a status within {@link STATUS_BUDGET_BYTES}: when it is larger, node errors are cut to 64
 * characters, then dropped (the full text stays in each node's enactment). Returns a new object.
 */
export function fitStatus(status: NncpStatus, budget = STATUS_BUDGET_BYTES): NncpStatus {
  const size = (s: NncpStatus): number => new TextEncoder().encode(JSON.stringify(s)).length;
  if (size(status) <= budget || !status.rollout?.nodes) return status;
  const withErrors = (f: (e: string) => string | undefined): NncpStatus => ({
    ...status,
    rollout: {
      ...status.rollout!,
      nodes: status.rollout!.nodes!.map((n) => {
        if (n.lastError === undefined) return n;
        const { lastError, ...rest } = n;
        const e = f(lastError);
        return e === undefined ? rest : { ...rest, lastError: e };
      }),
    },
  });
  const short = withErrors((e) => truncateError(e, 64));
  return size(short) <= budget ? short : withErrors(() => undefined);
}
