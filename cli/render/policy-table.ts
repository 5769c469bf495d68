/** `kubectl nmstate get` without a policy: one row per NNCP from its status. Pure. */
import type { NodeNetworkConfigurationPolicy } from '../../crd/nncp.ts';
import { progressBar } from './bar.ts';
import { conditionType, padEnd, palette, rolloutPhase } from './style.ts';
import { since } from './time.ts';

/** One row of the table (also the JSON/YAML output of `get` without a policy). */
export interface PolicyRow {
  name: string;
  generation: number;
  /** The True condition of the NNCP. */
  condition: string;
  phase: string;
  wave: string;
  succeeded: number;
  failed: number;
  matched: number;
  message: string;
  age: string;
}

/** The rows of a list of policies, sorted by name. */
export function policyRows(policies: readonly NodeNetworkConfigurationPolicy[], now: number): PolicyRow[] {
  return [...policies]
    .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1))
    .map((x) => {
      const r = x.status?.rollout;
      const cond = x.status?.conditions?.find((c) => c.status === 'True');
      return {
        name: x.metadata.name ?? '',
        generation: x.metadata.generation ?? 0,
        condition: cond?.type ?? 'Unknown',
        phase: r?.phase ?? '',
        wave: r ? `${r.currentWave ?? 0}/${r.totalWaves ?? 0}` : '',
        succeeded: r?.counts?.succeeded ?? 0,
        failed: r?.counts?.failed ?? 0,
        matched: r?.counts?.matched ?? 0,
        message: cond?.message ?? r?.message ?? '',
        age: since(x.metadata.creationTimestamp, now),
      };
    });
}

/** The table as text. */
export function renderPolicyTable(rows: readonly PolicyRow[], opts: { color: boolean }): string {
  const p = palette(opts.color);
  if (!rows.length) return 'No NodeNetworkConfigurationPolicy found.\n';
  const nameW = Math.max(4, ...rows.map((r) => r.name.length));
  const head = `${padEnd('NAME', nameW)}  ${padEnd('CONDITION', 11)}  ${padEnd('PHASE', 13)}  ${padEnd('WAVE', 5)}  ${padEnd('NODES', 19)}  ${padEnd('FAILED', 6)}  ${padEnd('AGE', 7)}  MESSAGE`;
  const lines = [p.dim(head)];
  for (const r of rows) {
    const phase = r.phase ? rolloutPhase(p, r.phase as Parameters<typeof rolloutPhase>[1]) : '';
    lines.push(
      `${padEnd(r.name, nameW)}  ${padEnd(conditionType(p, r.condition), 11)}  ${padEnd(phase, 13)}  ${padEnd(r.wave, 5)}  ${padEnd(r.matched ? progressBar(r.succeeded, r.matched, { width: 8 }) : '', 19)}  ${padEnd(r.failed ? p.red(String(r.failed)) : '0', 6)}  ${padEnd(r.age, 7)}  ${r.message}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
