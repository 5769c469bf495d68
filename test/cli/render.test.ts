/**
 * The CLI's renderers on fixed progress views: the tree (waves, bars, phases, errors, header), the
 * progress bar, colour only when asked for, the policy table, JSON/YAML output, the exit code a
 * view maps to, and the view rebuilt from an NNCP status when no workflow answers.
 */
import { describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import type { NodeNetworkConfigurationEnactment } from '../../crd/nnce.ts';
import type { NodeNetworkConfigurationPolicy } from '../../crd/nncp.ts';
import { useColor } from '../../cli/io.ts';
import { progressBar } from '../../cli/render/bar.ts';
import { formatOutput } from '../../cli/render/output.ts';
import { policyRows, renderPolicyTable } from '../../cli/render/policy-table.ts';
import { renderRollout } from '../../cli/render/rollout-tree.ts';
import { stripAnsi } from '../../cli/render/style.ts';
import { exitCodeOf, progressFromStatus, rolloutView } from '../../cli/rollout-view.ts';
import { viewDocument } from '../../cli/commands/get.ts';
import { haltedProgress, NOW, waitingProgress } from './fixtures.ts';

const ESC = '\u001b[';

describe('progress bar', () => {
  it('given parts of a total, should fill cells rounded down and print done/total', () => {
    expect(progressBar(0, 4)).toBe('[░░░░░░░░░░] 0/4');
    expect(progressBar(1, 4)).toBe('[██░░░░░░░░] 1/4');
    expect(progressBar(3, 4)).toBe('[███████░░░] 3/4');
    expect(progressBar(4, 4)).toBe('[██████████] 4/4');
  });

  it('given failures, should draw them apart and never overflow', () => {
    expect(progressBar(2, 2, { failed: 1, width: 4 })).toBe('[▓▓██] 2/2');
    expect(progressBar(9, 3, { width: 3 })).toBe('[███] 3/3');
    expect(progressBar(0, 0, { width: 2 })).toBe('[░░] 0/0');
  });
});

describe('rollout tree', () => {
  const waiting = rolloutView(waitingProgress(), 'workflow', 'nncp/br-canary');

  it('given a rollout at a manual gate, should show the header, the gate command and each wave with its bar and nodes', () => {
    const out = renderRollout(waiting, { color: false, now: NOW });
    expect(out).toContain('Name:         br-canary');
    expect(out).toContain('Phase:        … Waiting');
    expect(out).toContain('Condition:    Progressing  Policy is progressing 1/4 nodes finished');
    expect(out).toContain('Gate:         manual, after wave 1: kubectl nmstate promote br-canary');
    expect(out).toContain('Nodes:        1 succeeded, 0 failed (budget 1), 3 pending of 4');
    expect(out).toContain('Source:       workflow nncp/br-canary (live)');
    const lines = out.split('\n');
    const w1 = lines.findIndex((l) => /^\W*wave 1 /.test(l));
    const w2 = lines.findIndex((l) => /^\W*wave 2 /.test(l));
    expect(lines[w1]).toContain('[██████████] 1/1');
    expect(lines[w1]).toContain('limit 1, then a manual gate');
    expect(lines[w1 + 1]).toMatch(/^└── node-a\s+✔ Succeeded\s+1\s+2\.5s$/);
    expect(lines[w2]).toContain('[░░░░░░░░░░] 0/3');
    expect(lines.slice(w2 + 1, w2 + 4).map((l) => l.trim().split(/\s+/).slice(0, 3).join(' '))).toEqual(['├── node-b ◌', '├── node-c ◌', '└── node-d ◌']);
  });

  it('given a halted rollout, should show the failed node with its error type and first line, and the abort', () => {
    const out = renderRollout(rolloutView(haltedProgress(), 'workflow', 'nncp/br-bad'), { color: false, now: NOW, width: 200 });
    expect(out).toContain('Phase:        ✖ Halted');
    expect(out).toContain('Condition:    Degraded  1/3 nodes failed to configure, 2 nodes aborted configuration');
    expect(out).toContain('Abort:        halt: failure budget spent: 1 failed, 0 tolerated');
    expect(out).toMatch(/node-a\s+✖ Failed\s+2\s+9\.0s\s+ProbeFailed: failed runnig probe 'ping' with after network reconfiguration\n/);
    expect(out).not.toContain('more detail');
    expect(out).toContain('[▓▓▓▓██████] 3/3');
  });

  it('given a narrow terminal, should cut a long error to the width', () => {
    const out = renderRollout(rolloutView(haltedProgress(), 'workflow', 'nncp/br-bad'), { color: false, now: NOW, width: 60 });
    const line = out.split('\n').find((l) => l.includes('ProbeFailed'))!;
    expect(line.length).toBeLessThanOrEqual(60);
    expect(line.endsWith('…')).toBe(true);
  });

  it('given colour off, should print no escape code; given colour on, should colour phases', () => {
    const plain = renderRollout(rolloutView(haltedProgress(), 'workflow', 'x'), { color: false, now: NOW });
    expect(plain).not.toContain(ESC);
    const coloured = renderRollout(rolloutView(haltedProgress(), 'workflow', 'x'), { color: true, now: NOW });
    expect(coloured).toContain(`${ESC}31m✖ Failed`);
    expect(stripAnsi(coloured)).toBe(plain);
  });
});

describe('colour switch', () => {
  it('given a terminal, should colour unless NO_COLOR or --no-color; given no terminal, should not unless FORCE_COLOR', () => {
    expect(useColor({ isTTY: true, env: {} })).toBe(true);
    expect(useColor({ isTTY: true, env: { NO_COLOR: '1' } })).toBe(false);
    expect(useColor({ isTTY: true, env: {} }, false)).toBe(false);
    expect(useColor({ isTTY: false, env: {} })).toBe(false);
    expect(useColor({ isTTY: false, env: { FORCE_COLOR: '1' } })).toBe(true);
    expect(useColor({ isTTY: false, env: { FORCE_COLOR: '0' } })).toBe(false);
  });
});

describe('exit code of a view', () => {
  it('given Degraded, should be 1; given a clean rollout in progress or completed, should be 0', () => {
    expect(exitCodeOf(rolloutView(haltedProgress(), 'workflow', 'x'))).toBe(1);
    expect(exitCodeOf(rolloutView(waitingProgress(), 'workflow', 'x'))).toBe(0);
    const done = waitingProgress();
    done.phase = 'Completed';
    done.counts = { ...done.counts, pending: 0, succeeded: 4 };
    done.nodes = done.nodes.map((n) => ({ ...n, phase: 'Succeeded' }));
    const v = rolloutView(done, 'workflow', 'x');
    expect(v).toMatchObject({ ended: true, condition: { type: 'Available' } });
    expect(exitCodeOf(v)).toBe(0);
    const rolledBack = { ...haltedProgress(), phase: 'RolledBack' as const, counts: { ...haltedProgress().counts, failed: 0, aborted: 0, rolledBack: 3 } };
    expect(exitCodeOf(rolloutView(rolledBack, 'workflow', 'x'))).toBe(1);
  });
});

describe('machine-readable output', () => {
  it('given -o json and -o yaml, should print the same document, parseable, without colour', () => {
    const doc = viewDocument(rolloutView(waitingProgress(), 'workflow', 'nncp/br-canary'));
    const json = formatOutput(doc, 'json');
    const yaml = formatOutput(doc, 'yaml');
    expect(json).not.toContain(ESC);
    expect(JSON.parse(json)).toEqual(parseYaml(yaml));
    expect(JSON.parse(json)).toMatchObject({ policy: 'br-canary', source: 'workflow', condition: { type: 'Progressing' }, ended: false, progress: { phase: 'Waiting', gate: { afterWave: 1 } } });
  });
});

const nncp = (over: Partial<NodeNetworkConfigurationPolicy> = {}): NodeNetworkConfigurationPolicy => ({
  apiVersion: 'nmstate.io/v1',
  kind: 'NodeNetworkConfigurationPolicy',
  metadata: { name: 'br-bad', generation: 2, creationTimestamp: '2026-11-30T03:59:00Z' },
  spec: { maxUnavailable: 1, rollout: { waves: [{ nodes: 1, pause: 'manual' }] } },
  ...over,
});

const nnce = (node: string, type: string, message: string): NodeNetworkConfigurationEnactment => ({
  apiVersion: 'nmstate.io/v1beta1',
  kind: 'NodeNetworkConfigurationEnactment',
  metadata: { name: `${node}.br-bad`, labels: { 'nmstate.io/node': node, 'nmstate.io/policy': 'br-bad' } },
  status: { policyGeneration: 2, conditions: [{ type: type as 'Failing', status: 'True', message }] },
});

describe('view from the NNCP status', () => {
  it('given a rollout status, should rebuild waves with their pause and limit and take full errors from the enactments', () => {
    const policy = nncp({
      status: {
        observedGeneration: 2,
        conditions: [{ type: 'Degraded', status: 'True', reason: 'FailedToConfigure', message: '1/2 nodes failed to configure' }],
        rollout: {
          phase: 'Halted',
          currentWave: 2,
          totalWaves: 2,
          counts: { matched: 2, succeeded: 1, failed: 1, pending: 0, inProgress: 0, aborted: 0, rolledBack: 0, skipped: 0 },
          nodes: [
            { name: 'n1', wave: 1, phase: 'Succeeded', attempts: 1 },
            { name: 'n2', wave: 2, phase: 'Failed', attempts: 2, lastError: 'short…' },
          ],
        },
      },
    });
    const p = progressFromStatus(policy, [nnce('n2', 'Failing', 'the whole error text')]);
    expect(p.waves).toEqual([
      { number: 1, nodes: ['n1'], limit: 1, pause: { kind: 'manual' } },
      { number: 2, nodes: ['n2'], limit: 1, pause: { kind: 'none' } },
    ]);
    expect(p.nodes[1]).toMatchObject({ name: 'n2', phase: 'Failed', attempts: 2, lastError: 'the whole error text' });
    expect(p).toMatchObject({ phase: 'Halted', generation: 2, maxUnavailable: 1 });
    const v = rolloutView(p, 'status', 'nncp/br-bad', 'no rollout workflow nncp/br-bad');
    expect(exitCodeOf(v)).toBe(1);
    expect(renderRollout(v, { color: false, now: NOW })).toContain('Source:       NNCP status (no rollout workflow nncp/br-bad)');
  });

  it('given only enactments (no rollout status), should list one node per enactment with its phase', () => {
    const p = progressFromStatus(nncp({ spec: {} }), [nnce('n2', 'Failing', 'boom'), nnce('n1', 'Available', 'ok')]);
    expect(p.nodes.map((n) => [n.name, n.phase])).toEqual([
      ['n1', 'Succeeded'],
      ['n2', 'Failed'],
    ]);
    expect(p.counts).toMatchObject({ matched: 2, succeeded: 1, failed: 1 });
  });
});

describe('policy table', () => {
  it('given policies, should print one sorted row each with condition, phase, wave and a bar', () => {
    const rows = policyRows(
      [
        nncp({ metadata: { name: 'zeta', creationTimestamp: '2026-11-30T04:00:00Z' } }),
        nncp({
          metadata: { name: 'alpha', generation: 4, creationTimestamp: '2026-11-30T03:59:00Z' },
          status: { conditions: [{ type: 'Available', status: 'True', message: '2/2 nodes successfully configured' }], rollout: { phase: 'Completed', currentWave: 1, totalWaves: 1, counts: { matched: 2, succeeded: 2 } } },
        }),
      ],
      NOW,
    );
    expect(rows.map((r) => r.name)).toEqual(['alpha', 'zeta']);
    const out = renderPolicyTable(rows, { color: false });
    expect(out.split('\n')[0]).toMatch(/^NAME\s+CONDITION\s+PHASE\s+WAVE\s+NODES\s+FAILED\s+AGE\s+MESSAGE$/);
    expect(out).toMatch(/alpha\s+Available\s+✔ Completed\s+1\/1\s+\[████████\] 2\/2\s+0\s+1m10s\s+2\/2 nodes successfully configured/);
    expect(out).toMatch(/zeta\s+Unknown/);
    expect(renderPolicyTable([], { color: false })).toBe('No NodeNetworkConfigurationPolicy found.\n');
  });
});
