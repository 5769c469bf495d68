/**
 * Which nodes a policy targets, which policies a node change concerns, and which enactments no longer
 * belong. Pure: the reconciler passes what its informers hold.
 */
import type { NncpSpec } from '../../crd/nncp.ts';
import { policyMatchesNode } from '../../crd/rollout.ts';

/** A node as the decisions see it. */
export interface NodeLabels {
  name: string;
  labels?: Record<string, string> | undefined;
}

/** A policy as the decisions see it. */
export interface PolicySelectors {
  name: string;
  spec: Pick<NncpSpec, 'nodeSelector' | 'rollout'>;
}

/** Names of the nodes that match `spec` (both selectors), sorted. */
export function matchingNodeNames(spec: Pick<NncpSpec, 'nodeSelector' | 'rollout'>, nodes: readonly NodeLabels[]): string[] {
  return nodes
    .filter((n) => policyMatchesNode(spec, n.labels ?? {}))
    .map((n) => n.name)
    .sort();
}

/**
 * The policies whose match of one node changed between `before` and `after` (undefined: the node did
 * not exist / no longer exists), with the direction: `gained` or `lost`. Sorted by policy name.
 */
export function policiesAffectedByNode(policies: readonly PolicySelectors[], before: Record<string, string> | undefined, after: Record<string, string> | undefined): { policy: string; change: 'gained' | 'lost' }[] {
  const out: { policy: string; change: 'gained' | 'lost' }[] = [];
  for (const p of policies) {
    const was = before !== undefined && policyMatchesNode(p.spec, before);
    const is = after !== undefined && policyMatchesNode(p.spec, after);
    if (was !== is) out.push({ policy: p.name, change: is ? 'gained' : 'lost' });
  }
  return out.sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0));
}

/**
 * The nodes whose enactment of a policy must go: every one when the policy is gone (`matching`
 * undefined), else those of nodes that no longer match it (or no longer exist). Upstream deletes them
 * and never reverts the node's configuration. Sorted.
 */
export function staleEnactmentNodes(enactmentNodes: readonly string[], matching: readonly string[] | undefined): string[] {
  const keep = new Set(matching ?? []);
  return [...new Set(enactmentNodes)].filter((n) => !keep.has(n)).sort();
}
