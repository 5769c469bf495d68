/**
 * resolveNodes: the Nodes a policy matches (`spec.nodeSelector` and `spec.rollout.nodeSelectorTerms`),
 * each with its readiness and this policy's enactment on it. Two paged lists, whatever the cluster
 * size: the Nodes, and the policy's enactments by label.
 */
import type { V1Node } from '@kubernetes/client-node';
import { trueCondition } from '../../crd/conditions.ts';
import { LABEL_NODE, LABEL_POLICY, type NodeNetworkConfigurationEnactment } from '../../crd/nnce.ts';
import { policyMatchesNode } from '../../crd/rollout.ts';
import type { ResolvedNode, ResolveNodesInput, ResolveNodesResult } from './contract.ts';

/** The label selector of a policy's enactments. */
export function policySelector(policy: string): string {
  return `${LABEL_POLICY}=${policy}`;
}

/** The node an enactment belongs to: its `nmstate.io/node` label, else the name before `.<policy>`. */
export function enactmentNode(e: NodeNetworkConfigurationEnactment, policy: string): string | undefined {
  const label = e.metadata.labels?.[LABEL_NODE];
  if (label) return label;
  const name = e.metadata.name ?? '';
  return name.endsWith(`.${policy}`) ? name.slice(0, -policy.length - 1) : undefined;
}

/** Whether a Node's `Ready` condition is True. */
export function nodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * The matching nodes in name order, from already listed Nodes and enactments. Pure: the activity
 * lists, this decides.
 */
export function matchNodes(input: ResolveNodesInput, nodes: readonly V1Node[], enactments: readonly NodeNetworkConfigurationEnactment[]): ResolveNodesResult {
  const byNode = new Map<string, NodeNetworkConfigurationEnactment>();
  for (const e of enactments) {
    const n = enactmentNode(e, input.policy);
    if (n) byNode.set(n, e);
  }
  const out: ResolvedNode[] = [];
  for (const node of nodes) {
    const name = node.metadata?.name;
    const labels = node.metadata?.labels ?? {};
    if (!name || !policyMatchesNode(input.spec, labels)) continue;
    const e = byNode.get(name);
    const condition = trueCondition(e?.status?.conditions)?.type;
    out.push({
      name,
      labels,
      ready: nodeReady(node),
      ...(e ? { enactment: { generation: e.status?.policyGeneration ?? 0, ...(condition ? { condition } : {}) } } : {}),
    });
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { nodes: out };
}
