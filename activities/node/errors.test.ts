import { describe, expect, it } from '@jest/globals';
import { ERROR_TYPES, InvalidConfigurationError, isNodeErrorType, isRetryable, KnmstateError, NODE_ERROR_TYPES, NON_RETRYABLE_ERROR_TYPES } from '../../crd/errors.ts';
import { NmstateCommandError } from '../nmstate/errors.ts';
import { NodeFailure, NON_RETRYABLE_NODE_ERRORS, toApplicationFailure } from './errors.ts';

describe('knmstate errors', () => {
  it('given the one table, should make exactly the failures a retry cannot fix non-retryable', () => {
    expect([...NON_RETRYABLE_NODE_ERRORS].sort()).toEqual(['CaptureRenderFailed', 'InvalidDesiredState', 'RollbackFailed', 'UnsupportedDesiredState']);
    expect(NON_RETRYABLE_ERROR_TYPES).toEqual(expect.arrayContaining(['AgentLocked', 'InvalidConfiguration', 'JournalUnreadable']));
    expect(NODE_ERROR_TYPES.every((t) => t in ERROR_TYPES && isNodeErrorType(t))).toBe(true);
    expect(isRetryable('SomethingElse')).toBe(true);
  });

  it('given a node failure, should become an ApplicationFailure of its type with its details and retryability', () => {
    const details = { node: 'n1', policy: 'p', generation: 3, type: 'RollbackFailed' as const, message: 'left differences', rolledBack: true, remainingDifferences: ['eth1: missing'] };
    const f = toApplicationFailure(new NodeFailure(details));
    expect(f).toMatchObject({ type: 'RollbackFailed', nonRetryable: true, message: 'left differences', details: [details] });
    expect(toApplicationFailure(new InvalidConfigurationError('bad kubeconfig'))).toMatchObject({ type: 'InvalidConfiguration', nonRetryable: true });
  });

  it('given an nmstatectl failure, should carry the failure type of its class and keep its own name', () => {
    const e = new NmstateCommandError('apply', 1, 'NmstateError: Bug: CheckpointConflict: another checkpoint', 10);
    expect(e).toBeInstanceOf(KnmstateError);
    expect(e).toMatchObject({ name: 'NmstateCommandError', type: 'CheckpointConflict', retryable: true });
  });
});
