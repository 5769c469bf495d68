/**
 * The message names are a wire contract: a workflow started by one version answers the CLI and the
 * controller of the next. This pins them (and the shapes the CLI relies on) so a rename fails here.
 */
import { describe, expect, it } from '@jest/globals';
import { abortUpdate, pauseSignal, policyChangedSignal, progressQuery, promoteSignal, resumeSignal, type AbortAccepted, type AbortRequest, type PolicyRevision, type PromoteRequest } from './messages.ts';
import { rolloutWorkflowId, policyOfWorkflowId } from './ids.ts';

describe('rollout messages', () => {
  it.each([
    [pauseSignal, 'signal', 'pause'],
    [resumeSignal, 'signal', 'resume'],
    [promoteSignal, 'signal', 'promote'],
    [policyChangedSignal, 'signal', 'policyChanged'],
    [abortUpdate, 'update', 'abort'],
    [progressQuery, 'query', 'progress'],
  ] as const)('given definition %#, should be a %s named %s', (def, type, name) => {
    expect(def.type).toBe(type);
    expect(def.name).toBe(name);
  });

  it('given the request and result shapes, should carry what the CLI prints', () => {
    const abort: AbortRequest = { mode: 'rollback', requestedBy: 'alice', reason: 'bad change' };
    const accepted: AbortAccepted = { mode: abort.mode, abortedNodes: ['n3'], inFlightNodes: ['n2'], revertNodes: ['n2', 'n1'] };
    const promote: PromoteRequest = { wave: 1 };
    const rev: PolicyRevision = { generation: 2, spec: { desiredState: {} } };
    expect(Object.keys(accepted).sort()).toEqual(['abortedNodes', 'inFlightNodes', 'mode', 'revertNodes']);
    expect(promote.wave).toBe(1);
    expect(rev.generation).toBe(2);
  });
});

describe('rollout workflow ids', () => {
  it('given a policy name, should derive one id from it and back', () => {
    expect(rolloutWorkflowId('br1-policy')).toBe('nncp/br1-policy');
    expect(policyOfWorkflowId('nncp/br1-policy')).toBe('br1-policy');
    expect(policyOfWorkflowId('other/x')).toBeUndefined();
  });

  it('given an empty policy name, should refuse it', () => {
    expect(() => rolloutWorkflowId('')).toThrow(/empty policy name/);
  });
});
