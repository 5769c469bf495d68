/**
 * `kubectl nmstate why <policy> [node]`: a failed node explained in a few lines — the error type and
 * text, which probe failed and what it tried, each attempt, what the node agent put back and whether
 * anything remains different, the enactment's condition, and what to do next. Pure.
 */
import type { NodeProgress } from '../../crd/progress.ts';
import type { NodeHistory } from '../history/node-history.ts';
import { probesLine } from './history.ts';
import { nodePhase, padEnd, palette } from './style.ts';
import { humanDuration } from './time.ts';

/** Everything `why` knows about a node. */
export interface WhyInput {
  policy: string;
  generation: number;
  node: NodeProgress;
  /** The node's steps from the Temporal history (absent when the history could not be read). */
  history?: NodeHistory;
  /** Why the history is missing. */
  historyNote?: string;
  /** The enactment's True condition. */
  enactment?: { type: string; reason?: string; message?: string };
}

/** The first `n` items joined, and how many more there are. */
function shortList(items: readonly string[], n: number): string {
  return items.length <= n ? items.join('; ') : `${items.slice(0, n).join('; ')}; … ${items.length - n} more (kubectl nmstate history)`;
}

/** The explanation as text. */
export function renderWhy(w: WhyInput, opts: { color: boolean }): string {
  const p = palette(opts.color);
  const n = w.node;
  const lines: string[] = [];
  const row = (k: string, v: string): void => {
    lines.push(`  ${p.bold(padEnd(`${k}:`, 11))} ${v}`);
  };
  lines.push(`${p.bold(n.name)} in the rollout of ${p.bold(w.policy)} (generation ${w.generation}): ${nodePhase(p, n.phase)}${n.attempts ? ` after ${n.attempts} attempt${n.attempts === 1 ? '' : 's'}` : ''}`);
  const applies = w.history?.steps.filter((s) => s.op === 'apply') ?? [];
  const lastFailed = [...applies].reverse().find((s) => s.outcome === 'failed' || s.outcome === 'timedOut');
  const type = lastFailed?.errorType ?? n.lastErrorType;
  const error = lastFailed?.error ?? n.lastError;
  if (type || error) row('error', p.red(`${type ? `${type}: ` : ''}${(error ?? '').split('\n')[0]}`));
  // Probes and rollback come from the latest failed attempt the agent described (a timeout has no details).
  const described = [...applies].reverse().find((s) => (s.outcome === 'failed' || s.outcome === 'timedOut') && (s.probes !== undefined || s.rolledBack !== undefined));
  const from = described && described !== lastFailed ? ` (attempt #${described.attempt})` : '';
  if (described?.probes) {
    for (const x of described.probes.filter((q) => q.selected && q.ok === false)) {
      row('probe', `${p.red(x.name)} failed after the change${from}${x.tries !== undefined ? ` (${x.tries} tr${x.tries === 1 ? 'y' : 'ies'}` : ''}${x.durationMs !== undefined ? ` in ${humanDuration(x.durationMs)})` : x.tries !== undefined ? ')' : ''}: ${x.message ?? ''}`);
    }
    row('probes', probesLine(p, described.probes));
  }
  if (described?.wanted) row('wanted', described.wanted);
  if (described && described.rolledBack !== undefined) {
    const remaining = described.remainingDifferences;
    const restored = described.rolledBack
      ? described.restoreActions?.length
        ? `put back: ${shortList(described.restoreActions, 4)}`
        : 'put back (nothing was left to undo)'
      : 'not touched (failed before the change)';
    row('rollback', `${restored}${from}`);
    if (remaining) row('remaining', remaining.length ? p.red(remaining.join('; ')) : p.green('none: the node is as it was before'));
  }
  if (applies.length) {
    row(
      'attempts',
      applies
        .map((s) => `#${s.attempt} ${s.outcome === 'completed' ? p.green('✔') : s.outcome === 'running' ? p.cyan('⟳') : p.red(`✖ ${s.errorType ?? ''}`.trim())} ${s.durationMs !== undefined ? humanDuration(s.durationMs) : ''}`.trim())
        .join(', '),
    );
  }
  const reverts = w.history?.steps.filter((s) => s.op === 'revert') ?? [];
  for (const r of reverts) row('reverted', r.outcome === 'completed' ? `${r.reverted === false ? 'nothing to revert' : 'yes'}${r.restoreActions?.length ? `: ${shortList(r.restoreActions, 4)}` : ''}` : p.red(`${r.errorType ?? r.outcome}: ${r.error ?? ''}`));
  if (w.enactment) row('enactment', `${w.enactment.type}${w.enactment.reason ? ` ${w.enactment.reason}` : ''}${w.enactment.message ? `: ${w.enactment.message.split('\n')[0]}` : ''}`);
  if (w.historyNote) row('history', p.yellow(w.historyNote));
  const next =
    n.phase === 'Failed' || n.phase === 'RolledBack'
      ? `fix the cause, then change the policy's spec (a new generation starts a new rollout); details: kubectl nmstate history ${w.policy}`
      : `kubectl nmstate history ${w.policy}`;
  row('next', next);
  return `${lines.join('\n')}\n`;
}
