import { describe, expect, it } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { clusterErrorType, clusterFailure, invalidInput } from './errors.ts';

const api = (code: number, message = 'm'): ApiException<string> => new ApiException(code, 'x', JSON.stringify({ kind: 'Status', message }), {});

describe('cluster failure types', () => {
  it.each([
    [401, 'ClusterForbidden', true],
    [403, 'ClusterForbidden', true],
    [400, 'ClusterRequestRejected', true],
    [404, 'ClusterRequestRejected', true],
    [422, 'ClusterRequestRejected', true],
    [409, 'ClusterConflict', false],
    [429, 'ClusterUnavailable', false],
    [500, 'ClusterUnavailable', false],
    [503, 'ClusterUnavailable', false],
  ])('given HTTP %i, should fail as %s (non-retryable: %p) with the Status message', (code, type, nonRetryable) => {
    expect(clusterErrorType(api(code))).toBe(type);
    const f = clusterFailure('reportStatus p', api(code, 'the reason'));
    expect(f).toMatchObject({ type, nonRetryable, message: `reportStatus p: ${code} the reason` });
  });

  it('given a network error, should fail as retryable ClusterUnavailable', () => {
    const f = clusterFailure('resolveNodes p', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }));
    expect(f).toMatchObject({ type: 'ClusterUnavailable', nonRetryable: false });
  });

  it('given bad input, should fail as non-retryable InvalidClusterInput', () => {
    expect(invalidInput('policy: required')).toMatchObject({ type: 'InvalidClusterInput', nonRetryable: true });
  });
});
