/**
 * Per node, what the rollout did there, from its activity records: each apply attempt (outcome,
 * duration, probes, diff, failure type, what the node agent put back) and each revert. The model
 * behind `history` and `why`, and their JSON/YAML output. Pure.
 */
import type { ApplyFailureDetails, ApplyNodeStateResult, DiffSummary, ProbeReport, RevertNodeStateResult } from '../../activities/node/contract.ts';
import { recordsByNode, type ActivityRecord } from './activity-records.ts';

/** One probe's outcome in an attempt. */
export interface ProbeStep {
  name: string;
  selected: boolean;
  /** Why it was (not) selected. */
  reason?: string;
  /** After the change: passed, failed, or not run. */
  ok?: boolean;
  message?: string;
  tries?: number;
  durationMs?: number;
}

/** One operation on a node. */
export interface NodeStep {
  /** `apply`, `revert`, `plan`, `show`, or another activity's name. */
  op: string;
  /** 1-based, per operation kind. */
  attempt: number;
  outcome: ActivityRecord['outcome'];
  summary?: string;
  scheduled: string;
  ended?: string;
  durationMs?: number;
  errorType?: string;
  error?: string;
  probes?: ProbeStep[];
  diff?: DiffSummary;
  /** The node was touched and put back. */
  rolledBack?: boolean;
  restoreActions?: string[];
  remainingDifferences?: string[];
  /** The state rendered for the node, in one line (from a failure's details). */
  wanted?: string;
  /** revert: whether the node had something to revert. */
  reverted?: boolean;
  runId?: string;
}

/** What happened on one node. */
export interface NodeHistory {
  node: string;
  steps: NodeStep[];
}

const OPS: Record<string, string> = { applyNodeState: 'apply', revertNodeState: 'revert', planNode: 'plan', showNodeState: 'show' };

function probeSteps(reports: readonly ProbeReport[] | undefined): ProbeStep[] | undefined {
  if (!reports?.length) return undefined;
  return reports.map((r) => {
    const run = r.after;
    return {
      name: r.name,
      selected: r.selected,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(run ? { ok: run.ok, message: run.message, tries: run.attempts, durationMs: run.durationMs } : {}),
    };
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** A rendered nmstate state in one line: `eth0 (veth, up), br1 (linux-bridge, up); 2 routes; dns`. */
export function stateLine(state: Record<string, unknown>): string {
  const parts: string[] = [];
  const ifaces = Array.isArray(state.interfaces) ? (state.interfaces as unknown[]).filter(isObject) : [];
  if (ifaces.length) parts.push(ifaces.map((i) => `${String(i.name)} (${[i.type, i.state].filter((x) => x !== undefined).map(String).join(', ')})`).join(', '));
  const routes = isObject(state.routes) && Array.isArray(state.routes.config) ? state.routes.config.length : 0;
  if (routes) parts.push(`${routes} route${routes === 1 ? '' : 's'}`);
  if (state['dns-resolver'] !== undefined) parts.push('dns');
  if (state['route-rules'] !== undefined) parts.push('route rules');
  return parts.join('; ') || 'nothing';
}

/** One record as a node step. */
export function nodeStep(r: ActivityRecord, attempt: number): NodeStep {
  const step: NodeStep = {
    op: OPS[r.activity] ?? r.activity,
    attempt,
    outcome: r.outcome,
    ...(r.summary ? { summary: r.summary } : {}),
    scheduled: r.scheduled,
    ...(r.ended ? { ended: r.ended } : {}),
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
    ...(r.runId ? { runId: r.runId } : {}),
  };
  if (r.activity === 'applyNodeState' && isObject(r.result)) {
    const res = r.result as unknown as ApplyNodeStateResult;
    const probes = probeSteps(res.probes);
    if (probes) step.probes = probes;
    if (res.diff) step.diff = res.diff;
  }
  if (r.activity === 'revertNodeState' && isObject(r.result)) {
    const res = r.result as unknown as RevertNodeStateResult;
    step.reverted = res.reverted;
    if (res.actions?.length) step.restoreActions = res.actions;
  }
  if (r.failure) {
    step.errorType = r.failure.type;
    step.error = r.failure.message;
    if (isObject(r.failure.details)) {
      const d = r.failure.details as unknown as ApplyFailureDetails;
      const probes = probeSteps(d.probes);
      if (probes) step.probes = probes;
      if (typeof d.rolledBack === 'boolean') step.rolledBack = d.rolledBack;
      if (isObject(d.renderedState)) step.wanted = stateLine(d.renderedState);
      if (d.restoreActions) step.restoreActions = d.restoreActions;
      if (d.remainingDifferences) step.remainingDifferences = d.remainingDifferences;
    }
  }
  return step;
}

/** The node histories of a rollout's records, in first-seen order; `node` keeps only that node. */
export function nodeHistories(records: readonly ActivityRecord[], node?: string): NodeHistory[] {
  const out: NodeHistory[] = [];
  for (const [name, list] of recordsByNode(records)) {
    if (node && name !== node) continue;
    const counters = new Map<string, number>();
    out.push({
      node: name,
      steps: list.map((r) => {
        const n = (counters.get(r.activity) ?? 0) + 1;
        counters.set(r.activity, n);
        return nodeStep(r, n);
      }),
    });
  }
  return out;
}
