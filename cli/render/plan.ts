/**
 * `kubectl nmstate plan -f policy.yaml`: the validation problems, or the nodes in rollout order
 * grouped in waves with their limits, and per node what an apply would change. Pure.
 */
import type { PolicyPlan } from '../../workflows/plan-policy.ts';
import { formatDuration } from '../../crd/quantities.ts';
import { diffDetails, diffLine } from './diff.ts';
import { padEnd, palette } from './style.ts';

/** A problem found before anything ran: where and what. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** Validation problems of a manifest. */
export function renderProblems(file: string, problems: readonly FieldProblem[], opts: { color: boolean }): string {
  const p = palette(opts.color);
  const lines = [p.red(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was planned`)];
  for (const x of problems) lines.push(`  ${p.bold(x.path || '(root)')}: ${x.message}`);
  return `${lines.join('\n')}\n`;
}

/** Whether a plan shows something that would stop the rollout (problems, a bad limit, a node that cannot be planned). */
export function planHasErrors(plan: PolicyPlan): boolean {
  return plan.problems.length > 0 || plan.limitError !== undefined || plan.nodes.some((n) => n.error);
}

/** A plan as text. */
export function renderPlan(plan: PolicyPlan, opts: { color: boolean }): string {
  const p = palette(opts.color);
  const lines: string[] = [];
  lines.push(`${p.bold('Plan')} for policy ${p.bold(plan.policy)} ${p.dim('(dry run: nothing was changed)')}`);
  if (plan.problems.length) {
    lines.push(p.red(`desiredState: ${plan.problems.length} problem(s); the rollout would be refused:`));
    for (const x of plan.problems) lines.push(`  ${p.bold(`spec.desiredState.${x.path}`.replace(/\.$/, ''))}: ${x.message}`);
  }
  if (plan.limitError) lines.push(p.red(`limits: ${plan.limitError}`));
  lines.push(`${p.bold('Nodes:')}   ${plan.nodes.length} matching, in rollout order${plan.skipped.length ? `; ${plan.skipped.length} not Ready (skipped): ${plan.skipped.join(', ')}` : ''}`);
  lines.push(`${p.bold('Limits:')}  maxUnavailable ${plan.maxUnavailable}, failure budget ${plan.failureBudget}, onFailure ${plan.onFailure}`);
  lines.push(`${p.bold('Waves:')}   ${plan.waves.length}`);
  const byName = new Map(plan.nodes.map((n) => [n.name, n]));
  const nameW = Math.max(8, ...plan.nodes.map((n) => n.name.length));
  let order = 0;
  for (const [i, w] of plan.waves.entries()) {
    const after = i === plan.waves.length - 1 ? '' : w.pause.kind === 'manual' ? ', then a manual gate (kubectl nmstate promote)' : w.pause.kind === 'timer' ? `, then soak ${formatDuration(w.pause.ms)}` : '';
    lines.push('');
    lines.push(`  ${p.bold(`wave ${w.number}`)}: ${w.nodes.length} node${w.nodes.length === 1 ? '' : 's'}, at most ${w.limit} at once${after}`);
    for (const name of w.nodes) {
      order++;
      const n = byName.get(name);
      const head = `    ${String(order).padStart(3)}. ${padEnd(name, nameW)}  `;
      if (n?.error) lines.push(head + p.red(`cannot plan: ${n.error.type}: ${n.error.message}`));
      else if (n?.plan) {
        lines.push(head + diffLine(p, n.plan.diff) + p.dim(` [${n.plan.mode}]`));
        lines.push(...diffDetails(p, n.plan.diff, ' '.repeat(head.length + 2)));
      } else lines.push(head + p.dim('(no diff asked)'));
    }
  }
  if (!plan.nodes.length) lines.push(p.yellow('No Ready node matches the policy: the rollout would end Ignored.'));
  return `${lines.join('\n')}\n`;
}
