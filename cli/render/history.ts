/**
 * `kubectl nmstate history <policy>`: per node, each apply attempt and revert with its time,
 * duration, outcome, probes and what was put back. Pure.
 */
import type { NodeHistory, NodeStep, ProbeStep } from '../history/node-history.ts';
import { diffLine } from './diff.ts';
import { padEnd, palette, type Palette } from './style.ts';
import { humanDuration } from './time.ts';

/** `ping ✔ 0.2s, dns ✖ 3.0s` (selected probes), with the unselected ones marked. */
export function probesLine(p: Palette, probes: readonly ProbeStep[]): string {
  if (probes.every((x) => x.ok === undefined)) return p.dim('not run (the change failed before them)');
  return probes
    .map((x) => {
      if (!x.selected) return p.dim(`${x.name} not run`);
      if (x.ok === undefined) return p.dim(`${x.name} –`);
      const t = x.durationMs !== undefined ? ` ${humanDuration(x.durationMs)}` : '';
      return x.ok ? p.green(`${x.name} ✔${t}`) : p.red(`${x.name} ✖${t}`);
    })
    .join(', ');
}

function outcomeText(p: Palette, s: NodeStep): string {
  switch (s.outcome) {
    case 'completed':
      return s.op === 'revert' ? p.green(s.reverted === false ? '✔ nothing to revert' : '✔ reverted') : p.green(s.op === 'apply' ? '✔ applied' : '✔ done');
    case 'failed':
    case 'timedOut':
      return p.red(`✖ ${s.errorType ?? 'failed'}`);
    case 'canceled':
      return p.yellow('⊘ cancelled');
    case 'running':
      return p.cyan('⟳ running');
  }
}

const clock = (iso: string): string => iso.slice(11, 19);

/** The histories as text. */
export function renderHistory(policy: string, histories: readonly NodeHistory[], opts: { color: boolean; runs: number }): string {
  const p = palette(opts.color);
  const lines = [`${p.bold('History')} of the rollout of ${p.bold(policy)} ${p.dim(`(${opts.runs} workflow run${opts.runs === 1 ? '' : 's'}, times UTC)`)}`];
  if (!histories.length) lines.push(p.dim('No node activity yet.'));
  for (const h of histories) {
    lines.push('');
    lines.push(p.bold(h.node));
    for (const s of h.steps) {
      const dur = s.durationMs !== undefined ? humanDuration(s.durationMs) : '';
      lines.push(`  ${padEnd(`${s.op} #${s.attempt}`, 11)} ${clock(s.scheduled)}  ${padEnd(dur, 7)} ${outcomeText(p, s)}`);
      if (s.error) lines.push(`      ${p.red(s.error.split('\n')[0])}`);
      if (s.probes) lines.push(`      probes: ${probesLine(p, s.probes)}`);
      if (s.diff) lines.push(`      diff: ${diffLine(p, s.diff)}`);
      if (s.rolledBack !== undefined) lines.push(`      ${s.rolledBack ? p.yellow('rolled back on the node') : 'node not touched'}${s.remainingDifferences ? `; ${s.remainingDifferences.length ? p.red(`${s.remainingDifferences.length} differences remain`) : 'restored exactly'}` : ''}`);
      if (s.restoreActions?.length) lines.push(`      restore: ${s.restoreActions.join('; ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
