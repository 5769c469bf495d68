import { describe, expect, it } from '@jest/globals';
import { decideRecovery, undoBy, type JournalOp, type RecoveryDecision, type RecoveryObservation } from './recovery.ts';
import type { InflightPhase } from './journal.ts';
import type { NmstateMode } from '../../crd/network-state.ts';

// Every operation × phase × mode, and for each what the agent found on the node:
// [checkpoint rolled back & node as snapshot, rolled back & changed, no checkpoint & as snapshot, no checkpoint & changed].
type Row = [JournalOp, InflightPhase, NmstateMode, [RecoveryDecision, RecoveryDecision, RecoveryDecision, RecoveryDecision]];
const table: Row[] = [
  ['apply', 'applying', 'kernel', ['undo', 'undo', 'undo', 'undo']],
  ['apply', 'applied', 'kernel', ['undo', 'undo', 'undo', 'undo']],
  ['apply', 'committing', 'kernel', ['undo', 'undo', 'undo', 'undo']],
  ['apply', 'committed', 'kernel', ['finish', 'finish', 'finish', 'finish']],
  ['apply', 'restoring', 'kernel', ['undo', 'undo', 'undo', 'undo']],
  ['apply', 'applying', 'networkmanager', ['undo', 'undo', 'nothing', 'undo']],
  ['apply', 'applied', 'networkmanager', ['undo', 'undo', 'nothing', 'undo']],
  ['apply', 'committing', 'networkmanager', ['undo', 'undo', 'nothing', 'finish']],
  ['apply', 'committed', 'networkmanager', ['finish', 'finish', 'finish', 'finish']],
  ['apply', 'restoring', 'networkmanager', ['undo', 'undo', 'nothing', 'undo']],
  ['revert', 'applying', 'kernel', ['undo', 'undo', 'undo', 'undo']],
  ['revert', 'applied', 'kernel', ['undo', 'undo', 'undo', 'undo']],
  ['revert', 'committing', 'kernel', ['undo', 'undo', 'undo', 'undo']],
  ['revert', 'committed', 'kernel', ['undo', 'undo', 'undo', 'undo']],
  ['revert', 'restoring', 'kernel', ['undo', 'undo', 'undo', 'undo']],
  ['revert', 'applying', 'networkmanager', ['undo', 'undo', 'undo', 'undo']],
  ['revert', 'applied', 'networkmanager', ['undo', 'undo', 'undo', 'undo']],
  ['revert', 'committing', 'networkmanager', ['undo', 'undo', 'undo', 'undo']],
  ['revert', 'committed', 'networkmanager', ['undo', 'undo', 'undo', 'undo']],
  ['revert', 'restoring', 'networkmanager', ['undo', 'undo', 'undo', 'undo']],
];
const seen: RecoveryObservation[] = [
  { checkpoint: 'rolled-back', node: 'as-snapshot' },
  { checkpoint: 'rolled-back', node: 'changed' },
  { checkpoint: 'none', node: 'as-snapshot' },
  { checkpoint: 'none', node: 'changed' },
];
const cases = table.flatMap(([op, phase, mode, want]) => seen.map((s, i) => [op, phase, mode, s.checkpoint, s.node, want[i]!] as const));

describe('decideRecovery', () => {
  it('given the truth table, should cover every operation × phase × mode × observation once', () => {
    const ops: JournalOp[] = ['apply', 'revert'];
    const phases: InflightPhase[] = ['applying', 'applied', 'committing', 'committed', 'restoring'];
    const modes: NmstateMode[] = ['kernel', 'networkmanager'];
    const keys = new Set(table.map(([op, phase, mode]) => `${op}/${phase}/${mode}`));
    expect(keys.size).toBe(table.length);
    expect(keys.size).toBe(ops.length * phases.length * modes.length);
    expect(cases).toHaveLength(table.length * seen.length);
  });

  it.each(cases)('given a %s in phase %s on a %s node (checkpoint %s, node %s), should decide %s', (op, phase, mode, checkpoint, node, want) => {
    expect(decideRecovery(op, phase, mode, { checkpoint, node })).toBe(want);
  });
});

describe('undoBy', () => {
  it.each([
    ['apply', 'kernel', 'restore'],
    ['apply', 'networkmanager', 'check'],
    ['revert', 'kernel', 'restore'],
    ['revert', 'networkmanager', 'restore'],
  ] as const)('given a %s on a %s node, should undo by %s', (op, mode, want) => {
    expect(undoBy(op, mode)).toBe(want);
  });
});
