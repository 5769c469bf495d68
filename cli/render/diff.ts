/** One line for what an apply changes on a node (the node agent's DiffSummary). Pure. */
import type { DiffSummary } from '../../activities/node/contract.ts';
import type { Palette } from './style.ts';

/** `+br1 ~eth1 -old · routes +2 -1 · dns`, or `no change`. */
export function diffLine(p: Palette, d: DiffSummary): string {
  if (d.changes === 0) return p.dim('no change (the node already matches)');
  const parts: string[] = [];
  const ifaces = [...d.interfaces.create.map((n) => p.green(`+${n}`)), ...d.interfaces.modify.map((n) => p.yellow(`~${n}`)), ...d.interfaces.remove.map((n) => p.red(`-${n}`))];
  if (ifaces.length) parts.push(`interfaces ${ifaces.join(' ')}`);
  if (d.routes.add.length || d.routes.remove.length) parts.push(`routes ${p.green(`+${d.routes.add.length}`)} ${p.red(`-${d.routes.remove.length}`)}`);
  if (d.dns) parts.push(p.yellow('dns'));
  if (d.routeRules) parts.push('route rules');
  return `${parts.join(' · ')} ${p.dim(`(${d.changes} change${d.changes === 1 ? '' : 's'})`)}`;
}

/** The route lines of a diff, indented, for the detailed view. */
export function diffDetails(p: Palette, d: DiffSummary, indent: string): string[] {
  return [...d.routes.add.map((r) => `${indent}${p.green(`+ route ${r}`)}`), ...d.routes.remove.map((r) => `${indent}${p.red(`- route ${r}`)}`)];
}
