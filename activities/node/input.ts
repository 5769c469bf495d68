/**
 * Checking what a node activity is given: the input against its contract schema (./contract.ts) and
 * a desired state against knmstate's structural rules. Either failure is a non-retryable
 * `InvalidDesiredState` naming every field, before anything on the node is touched.
 */
import type { z } from 'zod';
import { validateDesiredState } from '../../crd/desired-state.ts';
import type { Problem } from './contract.ts';
import { InvalidDesiredState, NodeFailure } from './errors.ts';

/** Which policy generation a failure belongs to (empty for `planNode`). */
export interface AttemptIds {
  policy: string;
  generation: number;
}

/** The ids of a raw input, as well as they can be read before it is parsed (for the failure details). */
export function rawIds(raw: unknown): AttemptIds {
  const r = (raw ?? {}) as { policy?: unknown; generation?: unknown };
  return { policy: typeof r.policy === 'string' ? r.policy : '', generation: typeof r.generation === 'number' ? r.generation : -1 };
}

/** zod issues as field problems, the path under `prefix`. */
export function problemsOf(issues: readonly z.core.$ZodIssue[], prefix = ''): Problem[] {
  return issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    return { path, rule: i.code, message: `${path}: ${i.message}` };
  });
}

/** Parses activity `activity`'s input with its schema; throws an `InvalidDesiredState` {@link NodeFailure}. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown, activity: string, node: string, ids: AttemptIds): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = problemsOf(parsed.error.issues);
  throw new NodeFailure({ node, ...ids, type: InvalidDesiredState, message: `invalid ${activity} input: ${problems.map((p) => p.message).join('; ')}`, problems, rolledBack: false });
}

/** Checks a desired state (`what` names it in the message); throws an `InvalidDesiredState` {@link NodeFailure}. */
export function checkDesiredState(state: unknown, what: string, node: string, ids: AttemptIds): void {
  const problems = validateDesiredState(state);
  if (problems.length) throw new NodeFailure({ node, ...ids, type: InvalidDesiredState, message: `invalid ${what}: ${problems.map((p) => p.message).join('; ')}`, problems, rolledBack: false });
}
