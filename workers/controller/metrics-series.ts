/**
 * The controller's gauges computed from objects (pure: no I/O, no clock). Each function takes what an
 * informer cache holds and returns the series a scrape shows, so a gauge is never stale: there is no
 * state to forget when an object goes.
 *
 * The five gauges of the original kubernetes-nmstate keep its names, labels and values:
 * - `kubernetes_nmstate_features_applied{name}`: 1 per feature in any NNCE `status.features`;
 * - `kubernetes_nmstate_network_interfaces{type,node}`: NNS interfaces by type;
 * - `kubernetes_nmstate_routes{node,ip_stack,type}`: NNS `routes.running`, `static` when the
 *   destination is in `routes.config`, else `dynamic`;
 * - `kubernetes_nmstate_policies_status{status}`: NNCPs by their first True condition, every status
 *   present (0 when none);
 * - `kubernetes_nmstate_enactments_status{node,status}`: NNCEs by node and first True condition, the
 *   five statuses of every node that has an NNCE.
 * knmstate adds the rollouts by phase, paused rollouts, and node completions (for the apply duration
 * histogram and the failure counter, see {@link NodeCompletions}).
 */
import { NNCE_CONDITION_TYPES } from '../../crd/nnce.ts';
import { NNCP_CONDITION_TYPES, ROLLOUT_PHASES, type NodeRolloutStatus, type RolloutStatus } from '../../crd/nncp.ts';

/** One series: its labels and value. */
export interface Series {
  labels: Record<string, string>;
  value: number;
}

interface Meta {
  name?: string;
  uid?: string;
  labels?: Record<string, string>;
}
interface ConditionLike {
  type: string;
  status: string;
}
/** What the gauges read of an NNCP. */
export interface PolicyLike {
  metadata?: Meta;
  spec?: { rollout?: { paused?: boolean } };
  status?: { conditions?: readonly ConditionLike[]; observedGeneration?: number; rollout?: Partial<Pick<RolloutStatus, 'phase' | 'gate' | 'nodes'>> };
}
/** What the gauges read of an NNCE. */
export interface EnactmentLike {
  metadata?: Meta;
  status?: { conditions?: readonly ConditionLike[]; features?: readonly string[] };
}
/** What the gauges read of an NNS (`status.currentState` is nmstate's state, free-form). */
export interface NetworkStateLike {
  metadata?: Meta;
  status?: { currentState?: unknown };
}

const NODE_LABEL = 'nmstate.io/node';

/** The type of the first True condition (upstream's `activeConditionType`), or undefined. */
export function activeCondition(conditions: readonly ConditionLike[] | undefined): string | undefined {
  return conditions?.find((c) => c.status === 'True')?.type;
}

/** `kubernetes_nmstate_features_applied`: each feature used by any enactment, value 1. */
export function featuresApplied(nnces: readonly EnactmentLike[]): Series[] {
  const names = new Set<string>();
  for (const e of nnces) for (const f of e.status?.features ?? []) if (f) names.add(f);
  return [...names].sort().map((name) => ({ labels: { name }, value: 1 }));
}

/** `kubernetes_nmstate_policies_status`: NNCPs per first True condition; all four statuses, 0 when none. */
export function policiesStatus(nncps: readonly PolicyLike[]): Series[] {
  const counts = new Map<string, number>(NNCP_CONDITION_TYPES.map((t) => [t, 0]));
  for (const p of nncps) {
    const s = activeCondition(p.status?.conditions);
    if (s) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return [...counts].map(([status, value]) => ({ labels: { status }, value }));
}

/**
 * `kubernetes_nmstate_enactments_status`: per node with at least one enactment (label
 * `nmstate.io/node`), its enactments per first True condition; all five statuses, 0 when none.
 */
export function enactmentsStatus(nnces: readonly EnactmentLike[]): Series[] {
  const perNode = new Map<string, Map<string, number>>();
  for (const e of nnces) {
    const node = e.metadata?.labels?.[NODE_LABEL];
    if (!node) continue;
    let m = perNode.get(node);
    if (!m) perNode.set(node, (m = new Map(NNCE_CONDITION_TYPES.map((t) => [t, 0]))));
    const s = activeCondition(e.status?.conditions);
    if (s) m.set(s, (m.get(s) ?? 0) + 1);
  }
  return [...perNode.keys()].sort().flatMap((node) => [...perNode.get(node)!].map(([status, value]) => ({ labels: { node, status }, value })));
}

const asArray = (x: unknown): Record<string, unknown>[] => (Array.isArray(x) ? x.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null) : []);
const field = (x: unknown, k: string): unknown => (typeof x === 'object' && x !== null ? (x as Record<string, unknown>)[k] : undefined);

/** `kubernetes_nmstate_network_interfaces`: per NNS (named after its node), interfaces by `type`. */
export function networkInterfaces(nnss: readonly NetworkStateLike[]): Series[] {
  const out: Series[] = [];
  for (const s of [...nnss].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
    const node = s.metadata?.name;
    if (!node) continue;
    const counts = new Map<string, number>();
    for (const i of asArray(field(s.status?.currentState, 'interfaces'))) {
      const type = typeof i.type === 'string' && i.type ? i.type : 'unknown';
      counts.set(type, (counts.get(type) ?? 0) + 1);
    }
    for (const type of [...counts.keys()].sort()) out.push({ labels: { type, node }, value: counts.get(type)! });
  }
  return out;
}

/**
 * `kubernetes_nmstate_routes`: per NNS, `routes.running` by `ip_stack` (`ipv6` when the destination
 * has a colon, else `ipv4`) and `type` (`static` when that destination is in `routes.config`, else
 * `dynamic`); only the combinations present.
 */
export function routes(nnss: readonly NetworkStateLike[]): Series[] {
  const out: Series[] = [];
  for (const s of [...nnss].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
    const node = s.metadata?.name;
    if (!node) continue;
    const r = field(s.status?.currentState, 'routes');
    const configured = new Set(asArray(field(r, 'config')).map((x) => x.destination).filter((d): d is string => typeof d === 'string'));
    const counts = new Map<string, number>();
    for (const x of asArray(field(r, 'running'))) {
      const dest = typeof x.destination === 'string' ? x.destination : '';
      const key = `${dest.includes(':') ? 'ipv6' : 'ipv4'}/${configured.has(dest) ? 'static' : 'dynamic'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const key of [...counts.keys()].sort()) {
      const [ip_stack, type] = key.split('/') as [string, string];
      out.push({ labels: { node, ip_stack, type }, value: counts.get(key)! });
    }
  }
  return out;
}

/** `knmstate_rollouts{phase}`: NNCPs by `status.rollout.phase`; every phase present (0 when none). */
export function rolloutsByPhase(nncps: readonly PolicyLike[]): Series[] {
  const counts = new Map<string, number>(ROLLOUT_PHASES.map((p) => [p, 0]));
  for (const p of nncps) {
    const phase = p.status?.rollout?.phase;
    if (phase) counts.set(phase, (counts.get(phase) ?? 0) + 1);
  }
  return [...counts].map(([phase, value]) => ({ labels: { phase }, value }));
}

/**
 * `knmstate_rollouts_paused{reason}`: rollouts stopped until a person acts: `spec` (phase Paused,
 * `spec.rollout.paused`) and `gate` (phase Waiting at a manual gate, i.e. a gate without `until`).
 * A timed soak is not a pause.
 */
export function pausedRollouts(nncps: readonly PolicyLike[]): Series[] {
  let spec = 0;
  let gate = 0;
  for (const p of nncps) {
    const r = p.status?.rollout;
    if (r?.phase === 'Paused') spec++;
    else if (r?.phase === 'Waiting' && r.gate && !r.gate.until) gate++;
  }
  return [
    { labels: { reason: 'spec' }, value: spec },
    { labels: { reason: 'gate' }, value: gate },
  ];
}

/** A node that reached a final phase, seen in a policy's `status.rollout.nodes`. */
export interface NodeCompletion {
  policy: string;
  node: string;
  /** Succeeded or Failed (the phases of a node that ran an apply). */
  phase: 'Succeeded' | 'Failed';
  /** completionTime − startTime, seconds. */
  seconds: number;
}

/**
 * Node completions read from NNCP statuses as they are written: each node entry that reached
 * Succeeded or Failed with a `startTime` and a `completionTime` is reported once (per policy uid,
 * node, phase and completionTime). Entries completed before `sinceMs` (the controller's start) are
 * remembered but not reported, so a restart does not count a rollout's nodes again. Pure: the caller
 * gives the objects.
 */
export class NodeCompletions {
  readonly #since: number;
  readonly #seen = new Map<string, Map<string, string>>();

  constructor(sinceMs: number) {
    this.#since = sinceMs;
  }

  /** The new completions in `policy`'s status (call on every add and update). */
  update(policy: PolicyLike): NodeCompletion[] {
    const name = policy.metadata?.name;
    if (!name) return [];
    const key = policy.metadata?.uid ?? name;
    let seen = this.#seen.get(key);
    if (!seen) this.#seen.set(key, (seen = new Map<string, string>()));
    const out: NodeCompletion[] = [];
    for (const n of (policy.status?.rollout?.nodes ?? []) as readonly NodeRolloutStatus[]) {
      if ((n.phase !== 'Succeeded' && n.phase !== 'Failed') || !n.startTime || !n.completionTime) continue;
      const mark = `${n.phase}@${n.completionTime}`;
      if (seen.get(n.name) === mark) continue;
      seen.set(n.name, mark);
      const start = Date.parse(n.startTime);
      const end = Date.parse(n.completionTime);
      if (!Number.isFinite(start) || !Number.isFinite(end) || end < this.#since) continue;
      out.push({ policy: name, node: n.name, phase: n.phase, seconds: Math.max(0, (end - start) / 1000) });
    }
    return out;
  }

  /** Forgets a deleted policy. */
  forget(policy: PolicyLike): void {
    this.#seen.delete(policy.metadata?.uid ?? policy.metadata?.name ?? '');
  }
}
