/**
 * What the Temporal UI shows of a rollout: search attributes (filterable columns) and the current
 * details (Markdown, served by a built-in query, so it costs no history). Search attributes are
 * upserted only when a value changed: each upsert is a history event.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { RolloutProgress } from '../crd/progress.ts';
import { IN_FLIGHT_PHASES } from './rollout-tracker.ts';
import { nodesDoneKey, nodesFailedKey, nodesTotalKey, policyGenerationKey, policyNameKey, rolloutPhaseKey } from './search-attributes.ts';

/** The values the search attributes show, as one comparable key. */
function attributeValues(p: RolloutProgress): [string, number, string, number, number, number] {
  const c = p.counts;
  return [p.policy, p.generation, p.phase, c.succeeded + c.failed + c.aborted + c.rolledBack, c.matched - c.skipped, c.failed];
}

/** Keeps the rollout's search attributes and current details in step with its progress. */
export class RolloutUi {
  #last = '';

  /** Publishes `p`; upserts search attributes only when one changed. */
  publish(p: RolloutProgress): void {
    setCurrentDetails(renderDetails(p));
    const v = attributeValues(p);
    const key = JSON.stringify(v);
    if (key === this.#last) return;
    this.#last = key;
    const pairs: SearchAttributeUpdatePair[] = [
      { key: policyNameKey, value: v[0] },
      { key: policyGenerationKey, value: String(v[1]) },
      { key: rolloutPhaseKey, value: v[2] },
      { key: nodesDoneKey, value: v[3] },
      { key: nodesTotalKey, value: v[4] },
      { key: nodesFailedKey, value: v[5] },
    ];
    upsertSearchAttributes(pairs);
  }
}

/** The current details: phase, message and a table of waves (Markdown). */
export function renderDetails(p: RolloutProgress): string {
  const lines = [`**${p.phase}**${p.paused ? ' (paused)' : ''} · policy \`${p.policy}\` generation ${p.generation}`, '', p.message, ''];
  lines.push('| wave | nodes | done | in flight | failed | limit | then |', '|---|---|---|---|---|---|---|');
  const byName = new Map(p.nodes.map((n) => [n.name, n]));
  for (const w of p.waves) {
    const ns = w.nodes.map((n) => byName.get(n)!);
    const done = ns.filter((n) => n.phase === 'Succeeded').length;
    const inFlight = ns.filter((n) => IN_FLIGHT_PHASES.includes(n.phase)).length;
    const failed = ns.filter((n) => n.phase === 'Failed').length;
    const then = w.pause.kind === 'manual' ? 'manual gate' : w.pause.kind === 'timer' ? `soak ${Math.round(w.pause.ms / 1000)}s` : '';
    lines.push(`| ${w.number}${w.number === p.currentWave ? ' ◀' : ''} | ${ns.length} | ${done} | ${inFlight} | ${failed} | ${w.limit} | ${then} |`);
  }
  const failures = p.nodes.filter((n) => n.phase === 'Failed').slice(0, 10);
  if (failures.length) {
    lines.push('', 'Failed nodes:');
    for (const n of failures) lines.push(`- \`${n.name}\` (${n.lastErrorType ?? 'Error'}): ${(n.lastError ?? '').slice(0, 200)}`);
  }
  return lines.join('\n');
}
