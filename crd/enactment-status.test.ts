import { describe, expect, it } from '@jest/globals';
import {
  enactmentConditionChanges,
  enactmentStatus,
  failedAttempts,
  reconcileAbortedMessage,
  reconcileFailedMessage,
  type EnactmentView,
  type NnceConditionChange,
} from './enactment-status.ts';
import { trueCondition } from './conditions.ts';
import { nnceStatus } from './nnce.ts';
import type { NodeRolloutPhase } from './nncp.ts';

const cells = (changes: NnceConditionChange[]): string[] =>
  ['Available', 'Failing', 'Progressing', 'Pending', 'Aborted'].map((t) => {
    const c = changes.find((x) => x.type === t)!;
    return `${c.status}/${c.reason}`;
  });
const view = (phase: NodeRolloutPhase, more: Partial<EnactmentView> = {}): EnactmentView => ({ node: 'n1', phase, attempts: 1, maxAttempts: 5, ...more });

describe('NNCE conditions from a node phase (upstream matrix)', () => {
  it.each<[NodeRolloutPhase, Partial<EnactmentView>, string[], Record<string, string>]>([
    ['Applying', {}, ['Unknown/ConfigurationProgressing', 'Unknown/ConfigurationProgressing', 'True/ConfigurationProgressing', 'False/ConfigurationProgressing', 'False/ConfigurationProgressing'], { Progressing: 'Applying desired state' }],
    ['Verifying', {}, ['Unknown/ConfigurationProgressing', 'Unknown/ConfigurationProgressing', 'True/ConfigurationProgressing', 'False/ConfigurationProgressing', 'False/ConfigurationProgressing'], { Progressing: 'Applying desired state' }],
    ['Succeeded', {}, ['True/SuccessfullyConfigured', 'False/SuccessfullyConfigured', 'False/SuccessfullyConfigured', 'False/SuccessfullyConfigured', 'False/SuccessfullyConfigured'], { Available: 'successfully reconciled' }],
    ['Failed', { error: 'boom' }, ['False/FailedToConfigure', 'True/FailedToConfigure', 'False/FailedToConfigure', 'False/FailedToConfigure', 'False/SuccessfullyConfigured'], { Failing: 'boom' }],
    [
      'Retrying',
      { attempts: 1 },
      ['False/Retrying', 'True/Retrying', 'True/Retrying', 'False/Retrying', 'False/SuccessfullyConfigured'],
      { Failing: 'failed to reconcile NodeNetworkConfigurationPolicy on node n1. Retrying 2/5', Progressing: 'failed to reconcile NodeNetworkConfigurationPolicy on node n1. Retrying 2/5' },
    ],
    [
      'Pending',
      { attempts: 0 },
      ['False/MaxUnavailableLimitReached', 'False/MaxUnavailableLimitReached', 'False/MaxUnavailableLimitReached', 'True/MaxUnavailableLimitReached', 'False/MaxUnavailableLimitReached'],
      { Pending: 'Waiting for progressing nodes to finish', Progressing: 'Waiting for progressing nodes to finish' },
    ],
    ['Aborted', { attempts: 0 }, ['False/ConfigurationAborted', 'False/ConfigurationAborted', 'False/ConfigurationAborted', 'False/ConfigurationAborted', 'True/ConfigurationAborted'], { Aborted: 'reconciliation of enactment "n1.p" has aborted' }],
    // knmstate's phases
    ['RollingBack', {}, ['Unknown/ConfigurationProgressing', 'Unknown/ConfigurationProgressing', 'True/ConfigurationProgressing', 'False/ConfigurationProgressing', 'False/ConfigurationProgressing'], { Progressing: 'Rolling back desired state' }],
    ['RolledBack', {}, ['False/ConfigurationAborted', 'False/ConfigurationAborted', 'False/ConfigurationAborted', 'False/ConfigurationAborted', 'True/ConfigurationAborted'], { Aborted: 'reconciliation of enactment "n1.p" has been rolled back' }],
    ['Skipped', { attempts: 0 }, ['Unknown/', 'Unknown/', 'Unknown/', 'Unknown/', 'Unknown/'], { Pending: 'node n1 is not Ready, skipped' }],
  ])('given phase %s (%j), should set the five conditions and messages as the matrix says', (phase, more, expected, messages) => {
    const changes = enactmentConditionChanges(view(phase, more), 'p');
    expect(cells(changes)).toEqual(expected);
    expect(Object.fromEntries(changes.filter((c) => c.message).map((c) => [c.type, c.message]))).toEqual(messages);
  });

  it.each([
    [1, 'Retrying 2/5'],
    [4, 'Retrying 5/5'],
    [7, 'Retrying 5/5'],
  ])('given %i failed attempts of 5, should read %p', (attempts, suffix) => {
    expect(enactmentConditionChanges(view('Retrying', { attempts }), 'p')[0]!.message).toMatch(new RegExp(`${suffix}$`));
  });

  it('given upstream event formats, should build the ReconcileFailed messages', () => {
    expect(reconcileFailedMessage('n1', 'p', 5)).toBe('reconciliation of enactment "n1.p" has failed after 5 retries');
    expect(reconcileAbortedMessage('n1', 'p')).toBe('reconciliation of enactment "n1.p" has aborted');
  });
});

describe('NNCE status', () => {
  it.each<[NodeRolloutPhase, number, number]>([
    ['Applying', 1, 0],
    ['Applying', 3, 2],
    ['Retrying', 2, 2],
    ['Succeeded', 1, 0],
    ['Succeeded', 3, 2],
    ['Failed', 5, 5],
    ['Pending', 0, 0],
    ['Aborted', 0, 0],
    ['RolledBack', 1, 0],
  ])('given phase %s after %i attempts, should count %i failed attempts', (phase, attempts, failed) => {
    expect(failedAttempts({ phase, attempts })).toBe(failed);
  });

  it('given a new enactment then its success, should fill status, keep retryCount of other generations and pass the schema', () => {
    const first = enactmentStatus({ retryCount: { '1': 3 } }, view('Applying', { renderedState: { interfaces: [] }, capturedStates: { gw: { state: { a: 1 } } } }), { policy: 'p', generation: 2, now: '2026-11-30T04:00:00Z' });
    expect(first).toMatchObject({ policyGeneration: 2, desiredState: { interfaces: [] }, capturedStates: { gw: { state: { a: 1 } } }, retryCount: { '1': 3, '2': 0 } });
    expect(trueCondition(first.conditions)?.type).toBe('Progressing');
    const second = enactmentStatus(first, view('Succeeded', { attempts: 2 }), { policy: 'p', generation: 2, now: '2026-11-30T04:00:05Z' });
    expect(second).toMatchObject({ desiredState: { interfaces: [] }, retryCount: { '1': 3, '2': 1 } });
    expect(trueCondition(second.conditions)).toMatchObject({ type: 'Available', lastTransitionTime: '2026-11-30T04:00:05Z' });
    expect(() => nnceStatus.parse(second)).not.toThrow();
  });

  it('given a newer generation without a rendered state, should drop the old rendered state', () => {
    const old = enactmentStatus(undefined, view('Succeeded', { renderedState: { a: 1 } }), { policy: 'p', generation: 1, now: '2026-11-30T04:00:00Z' });
    const next = enactmentStatus(old, view('Pending', { attempts: 0 }), { policy: 'p', generation: 2, now: '2026-11-30T04:00:05Z' });
    expect(next.desiredState).toBeUndefined();
    expect(next.policyGeneration).toBe(2);
  });
});

describe('NNCE message bounds', () => {
  it('given a failure text longer than the bound, should cut it and mark the cut', () => {
    const m = enactmentConditionChanges(view('Failed', { error: 'e'.repeat(200_000) }), 'p')[0]!.message;
    expect(m).toHaveLength(64 * 1024);
    expect(m.endsWith('…')).toBe(true);
  });
});
