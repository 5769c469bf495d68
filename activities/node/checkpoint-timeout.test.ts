/** The agent's pure parts: the NetworkManager checkpoint timeout and the retryability of NetworkManager's own failures. */
import { describe, expect, it } from '@jest/globals';
import { checkpointTimeoutSeconds } from './checkpoint-timeout.ts';
import { NON_RETRYABLE_NODE_ERRORS } from './errors.ts';

describe('NetworkManager checkpoint timeout and typed NetworkManager failures', () => {
  it('given a probe timeout and a margin, should make T cover both (default margin 30 s) and refuse a bad margin naming it', () => {
    expect(checkpointTimeoutSeconds(120_000)).toBe(150);
    expect(checkpointTimeoutSeconds(3_000, 2)).toBe(5);
    expect(checkpointTimeoutSeconds(2_500, 1)).toBe(4);
    expect(() => checkpointTimeoutSeconds(3_000, 0)).toThrow(/checkpointMarginSeconds must be a positive integer/);
  });

  it("given NetworkManager's own failures, should type them as retryable (a restarted NetworkManager, an expired or foreign checkpoint pass)", () => {
    for (const t of ['NetworkManagerUnavailable', 'CheckpointConflict', 'CheckpointExpired']) expect(NON_RETRYABLE_NODE_ERRORS).not.toContain(t);
  });
});
