/**
 * `kubectl nmstate get <policy>`: a header (phase, condition, waves, counts, limits, gate, abort) over
 * a tree of waves and their nodes, each wave with a progress bar, each node with its phase,
 * attempts, time and last error — the shape of `kubectl argo rollouts get rollout`. Pure.
 */
import type { NodeProgress, WaveProgress } from '../../crd/progress.ts';
import { formatDuration } from '../../crd/quantities.ts';
import { FINAL_NODE_PHASES, type RolloutView } from '../rollout-view.ts';
import { progressBar } from './bar.ts';
import { conditionType, nodePhase, padEnd, palette, rolloutPhase, stripAnsi } from './style.ts';
import { humanDuration, since } from './time.ts';

/** Options of {@link renderRollout}. */
export interface TreeOptions {
  color: boolean;
  /** "Now" in ms since epoch, for ages. */
  now: number;
  /** Line width to fit errors in. @default 120 */
  width?: number;
}

function pauseText(w: WaveProgress, last: boolean): string {
  if (last) return '';
  switch (w.pause.kind) {
    case 'manual':
      return ', then a manual gate';
    case 'timer':
      return `, then soak ${formatDuration(w.pause.ms)}`;
    case 'none':
      return '';
  }
}

function nodeTime(n: NodeProgress, now: number): string {
  if (!n.startTime) return '';
  const start = Date.parse(n.startTime);
  const end = n.completionTime ? Date.parse(n.completionTime) : now;
  return Number.isNaN(start) || Number.isNaN(end) ? '' : humanDuration(Math.max(0, end - start));
}

function errorText(n: NodeProgress): string {
  if (!n.lastError) return '';
  const first = n.lastError.split('\n')[0]!;
  return n.lastErrorType ? `${n.lastErrorType}: ${first}` : first;
}

function fit(s: string, width: number): string {
  return s.length <= width ? s : `${s.slice(0, Math.max(1, width - 1))}…`;
}

/** The whole view as text (ends with a newline). */
export function renderRollout(view: RolloutView, opts: TreeOptions): string {
  const p = palette(opts.color);
  const width = opts.width ?? 120;
  const g = view.progress;
  const lines: string[] = [];
  const field = (k: string, v: string): void => {
    lines.push(`${p.bold(padEnd(`${k}:`, 13))} ${v}`);
  };
  field('Name', g.policy);
  field('Generation', String(g.generation));
  field('Phase', `${rolloutPhase(p, g.phase)}${g.paused && g.phase !== 'Paused' ? p.yellow(' (paused)') : ''}`);
  field('Condition', `${conditionType(p, view.condition.type)}${view.condition.message ? `  ${view.condition.message}` : ''}`);
  if (g.message) field('Message', g.message);
  if (g.gate) {
    const gate =
      g.gate.kind === 'manual'
        ? `manual, after wave ${g.gate.afterWave}: ${p.bold(`kubectl nmstate promote ${g.policy}`)}`
        : `soaking after wave ${g.gate.afterWave}${g.gate.until ? ` until ${g.gate.until} (${humanDuration(Math.max(0, Date.parse(g.gate.until) - opts.now))} left)` : ''}`;
    field('Gate', gate);
  }
  field('Waves', `${g.currentWave}/${g.totalWaves}`);
  const c = g.counts;
  const parts = [`${c.succeeded} succeeded`, `${c.failed} failed (budget ${g.failureBudget})`];
  if (c.inProgress) parts.push(`${c.inProgress} in progress`);
  if (c.pending) parts.push(`${c.pending} pending`);
  if (c.aborted) parts.push(`${c.aborted} aborted`);
  if (c.rolledBack) parts.push(`${c.rolledBack} rolled back`);
  if (c.skipped) parts.push(`${c.skipped} skipped (not Ready)`);
  field('Nodes', `${parts.join(', ')} of ${c.matched}`);
  field('Limits', `maxUnavailable ${g.maxUnavailable}, onFailure ${g.onFailure}`);
  if (g.abort) field('Abort', `${g.abort.mode}${g.abort.requestedBy ? ` by ${g.abort.requestedBy}` : ''}${g.abort.reason ? `: ${g.abort.reason}` : ''}`);
  field('Started', `${since(g.startTime, opts.now)} ago${g.completionTime ? `, ended after ${since(g.startTime, Date.parse(g.completionTime))}` : ''}`);
  field('Source', view.source === 'workflow' ? `workflow ${view.workflowId} (live)` : p.yellow(`NNCP status (${view.note ?? 'workflow not available'})`));

  if (g.waves.length) {
    lines.push('');
    const nameWidth = Math.max(12, ...g.nodes.map((n) => n.name.length + 4));
    const header = `${padEnd('WAVE / NODE', nameWidth)}  ${padEnd('PHASE', 13)}  ${padEnd('ATTEMPTS', 8)}  ${padEnd('TIME', 7)}  ERROR`;
    lines.push(p.dim(header));
    const byName = new Map(g.nodes.map((n) => [n.name, n]));
    g.waves.forEach((w, i) => {
      const members = w.nodes.map((n) => byName.get(n)).filter((n): n is NodeProgress => n !== undefined);
      const done = members.filter((n) => FINAL_NODE_PHASES.includes(n.phase)).length;
      const bad = members.filter((n) => n.phase === 'Failed').length;
      const current = w.number === g.currentWave && !view.ended;
      const title = `${current ? p.bold(p.cyan(`▶ wave ${w.number}`)) : p.bold(`  wave ${w.number}`)}  ${progressBar(done, members.length, { failed: bad })}  ${p.dim(`limit ${w.limit}${pauseText(w, i === g.waves.length - 1)}`)}`;
      lines.push(title);
      members.forEach((n, j) => {
        const branch = j === members.length - 1 ? '└── ' : '├── ';
        const attempts = n.attempts ? String(n.attempts) : '';
        const prefix = `${padEnd(`${branch}${n.name}`, nameWidth)}  ${padEnd(nodePhase(p, n.phase), 13)}  ${padEnd(attempts, 8)}  ${padEnd(nodeTime(n, opts.now), 7)}  `;
        const err = errorText(n);
        lines.push(err ? prefix + p.red(fit(err, Math.max(10, width - stripAnsi(prefix).length))) : prefix.trimEnd());
      });
    });
  }
  return `${lines.join('\n')}\n`;
}
