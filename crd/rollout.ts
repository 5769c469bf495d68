/**
 * The meaning of the rollout fields, as pure functions the rollout workflow, the dry-run plan and the
 * CLI share: which nodes a policy selects, in what order, in which waves, with which limits, and
 * whether an edit starts a new rollout. No I/O, no clock: safe in workflow code.
 */
import type { NncpSpec, NodeSelectorRequirement, NodeSelectorTerm, OnFailureMode, OrderKey, WaveSpec } from './nncp.ts';
import { MANUAL_PAUSE } from './nncp.ts';
import { resolveProbes, type ResolvedProbes } from './probes.ts';
import { failureBudget, maxUnavailableLimit, parseDuration, scaleIntOrPercent } from './quantities.ts';
import { canonical } from './json.ts';

/** What the helpers need to know about a node. */
export interface NodeInfo {
  name: string;
  labels?: Record<string, string> | undefined;
}

/** Upstream's equality selector: every key/value pair must be among the labels; empty matches all. */
export function matchesNodeSelector(selector: Record<string, string> | undefined, labels: Record<string, string> = {}): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v);
}

function requirementHolds(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(value!);
    case 'NotIn':
      return !has || !values.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || !/^-?[0-9]+$/.test(value!) || !/^-?[0-9]+$/.test(values[0] ?? '')) return false;
      const a = BigInt(value!);
      const b = BigInt(values[0]!);
      return r.operator === 'Gt' ? a > b : a < b;
    }
  }
}

/** Node-affinity semantics: any term (OR) whose requirements all hold (AND); absent or empty matches all. */
export function matchesNodeSelectorTerms(terms: readonly NodeSelectorTerm[] | undefined, labels: Record<string, string> = {}): boolean {
  if (!terms?.length) return true;
  return terms.some((t) => t.matchExpressions.every((r) => requirementHolds(r, labels)));
}

/** Whether a policy applies to a node: `spec.nodeSelector` AND `spec.rollout.nodeSelectorTerms`. */
export function policyMatchesNode(spec: Pick<NncpSpec, 'nodeSelector' | 'rollout'>, labels: Record<string, string> = {}): boolean {
  return matchesNodeSelector(spec.nodeSelector, labels) && matchesNodeSelectorTerms(spec.rollout?.nodeSelectorTerms, labels);
}

const byteCompare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Sorts nodes by `spec.rollout.order`: each key in turn (a label's value, nodes without the label
 * last; or the node name), ascending unless `descending`; ties always broken by name ascending.
 * Byte order, not locale order, so every process agrees. Returns a new array.
 */
export function orderNodes<T extends NodeInfo>(nodes: readonly T[], order: readonly OrderKey[] = []): T[] {
  return [...nodes].sort((a, b) => {
    for (const key of order) {
      let c: number;
      if (key.label !== undefined) {
        const va = a.labels?.[key.label];
        const vb = b.labels?.[key.label];
        // Missing labels sort last regardless of direction.
        if (va === undefined || vb === undefined) {
          if (va !== vb) return va === undefined ? 1 : -1;
          continue;
        }
        c = byteCompare(va, vb);
      } else {
        c = byteCompare(a.name, b.name);
      }
      if (c !== 0) return key.descending ? -c : c;
    }
    return byteCompare(a.name, b.name);
  });
}

/** What happens after a wave: nothing, a soak timer, or a manual gate. */
export type WavePause = { kind: 'none' } | { kind: 'timer'; ms: number } | { kind: 'manual' };

/** One wave of a plan. */
export interface PlannedWave<T extends NodeInfo = NodeInfo> {
  /** 1-based wave number. */
  number: number;
  nodes: T[];
  /** What happens after this wave, before the next; always `none` after the last. */
  pause: WavePause;
}

function parsePause(p: string | undefined): WavePause {
  if (p === undefined) return { kind: 'none' };
  if (p === MANUAL_PAUSE) return { kind: 'manual' };
  return { kind: 'timer', ms: parseDuration(p, 'pause') };
}

/**
 * Cuts ordered nodes into waves. Each wave takes `nodes` (a count, or a percentage of all the nodes
 * rounded up, at least 1) from those left; nodes left after the last wave form one more wave; a wave
 * that finds none left is dropped. No waves: one wave of every node. The pause of the last wave is
 * dropped (nothing follows it). No nodes: no waves.
 */
export function planWaves<T extends NodeInfo>(ordered: readonly T[], waves: readonly WaveSpec[] | undefined): PlannedWave<T>[] {
  const total = ordered.length;
  const out: { nodes: T[]; pause: WavePause }[] = [];
  let next = 0;
  for (const [i, w] of (waves ?? []).entries()) {
    if (next >= total) break;
    const size = Math.max(1, scaleIntOrPercent(w.nodes, total, 'up', `rollout.waves[${i}].nodes`));
    out.push({ nodes: ordered.slice(next, next + size), pause: parsePause(w.pause) });
    next += size;
  }
  if (next < total) out.push({ nodes: ordered.slice(next), pause: { kind: 'none' } });
  if (out.length) out[out.length - 1]!.pause = { kind: 'none' };
  return out.map((w, i) => ({ number: i + 1, ...w }));
}

/** A rollout, fully resolved against the matching nodes. */
export interface RolloutPlan<T extends NodeInfo = NodeInfo> {
  /** Matching nodes, in rollout order. */
  nodes: T[];
  waves: PlannedWave<T>[];
  /** Most nodes updating at once (upstream maths). */
  maxUnavailable: number;
  /** Set when maxUnavailable did not parse and the default was used (upstream logs the same). */
  maxUnavailableError?: string;
  /** Failed nodes tolerated; one more stops the rollout. */
  failureBudget: number;
  onFailure: OnFailureMode;
  paused: boolean;
  /** The policy's probe settings: pass them as is as `applyNodeState`'s `probes`. */
  probes: ResolvedProbes;
}

/**
 * Resolves a policy spec against the cluster's nodes: selects (both selectors), orders, cuts waves
 * and computes the limits. `nodes` are the candidates (e.g. Ready, agent-enabled nodes).
 */
export function planRollout<T extends NodeInfo>(spec: NncpSpec, nodes: readonly T[]): RolloutPlan<T> {
  const selected = orderNodes(
    nodes.filter((n) => policyMatchesNode(spec, n.labels ?? {})),
    spec.rollout?.order,
  );
  const { limit, error } = maxUnavailableLimit(spec.maxUnavailable, selected.length);
  const plan: RolloutPlan<T> = {
    nodes: selected,
    waves: planWaves(selected, spec.rollout?.waves),
    maxUnavailable: limit,
    failureBudget: failureBudget(spec.rollout?.maxFailures, spec.maxUnavailable, selected.length),
    onFailure: spec.rollout?.onFailure ?? 'halt',
    paused: spec.rollout?.paused ?? false,
    probes: resolveProbes(spec.probes),
  };
  if (error !== undefined) plan.maxUnavailableError = error;
  return plan;
}

/** The spec without the fields that steer a running rollout rather than define it (`rollout.paused`). */
export function rolloutIdentity(spec: NncpSpec): string {
  const { rollout, ...rest } = spec;
  const rolloutRest: Record<string, unknown> = { ...rollout };
  delete rolloutRest.paused;
  return canonical({ ...rest, rollout: rolloutRest });
}

/**
 * Whether changing a policy's spec from `before` to `after` starts a new rollout (superseding the
 * running one). Pausing or resuming (`spec.rollout.paused`) does not; any other spec change does.
 */
export function startsNewRollout(before: NncpSpec, after: NncpSpec): boolean {
  return rolloutIdentity(before) !== rolloutIdentity(after);
}
