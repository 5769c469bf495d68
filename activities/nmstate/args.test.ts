/** nmstatectl argument lists (pure). */
import { describe, expect, it } from '@jest/globals';
import { applyArgs, commitArgs, policyArgs, rollbackArgs, showArgs, validateArgs } from './args.ts';

describe('nmstatectl arguments', () => {
  it('given kernel mode, should apply with -k from stdin and never ask for a checkpoint', () => {
    expect(applyArgs('kernel')).toEqual(['apply', '-q', '-k', '-']);
    expect(applyArgs('kernel', { noVerify: true })).toEqual(['apply', '-q', '-k', '--no-verify', '-']);
    expect(showArgs('kernel')).toEqual(['show', '-q', '--json', '-k']);
  });

  it('given NetworkManager mode, should apply without commit with the checkpoint timeout, and commit/rollback separately', () => {
    expect(applyArgs('networkmanager')).toEqual(['apply', '-q', '--no-commit', '--timeout', '480', '-']);
    expect(applyArgs('networkmanager', { checkpointTimeoutSeconds: 60 })).toEqual(['apply', '-q', '--no-commit', '--timeout', '60', '-']);
    expect(applyArgs('networkmanager', { noCommit: false })).toEqual(['apply', '-q', '-']);
    expect(showArgs('networkmanager')).toEqual(['show', '-q', '--json']);
    expect(commitArgs()).toEqual(['commit', '-q']);
    expect(rollbackArgs()).toEqual(['rollback', '-q']);
  });

  it('given a bad checkpoint timeout, should refuse it naming the field', () => {
    expect(() => applyArgs('networkmanager', { checkpointTimeoutSeconds: 0 })).toThrow(/checkpointTimeoutSeconds must be a positive integer/);
  });

  it('given captures to reuse, should pass the current state, the output file and the cache like upstream', () => {
    expect(policyArgs({ policy: 'p.json', current: 'c.json', capturedOut: 'o.json', capturedIn: 'i.json' })).toEqual(['policy', '-q', '--json', '-c', 'c.json', '-o', 'o.json', '-a', 'i.json', 'p.json']);
    expect(policyArgs({ policy: 'p.json', current: 'c.json', capturedOut: 'o.json' })).not.toContain('-a');
    expect(validateArgs('c.json')).toEqual(['validate', '-q', '-c', 'c.json', '-']);
  });
});
