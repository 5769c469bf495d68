import { describe, expect, it } from '@jest/globals';
import { fitStatus, nncpSpec, nncpStatus, NODE_ERROR_MAX_LENGTH, truncateError, type NncpStatus } from './nncp.ts';
import { toOpenApi } from './openapi.ts';
import { doc } from './schema.ts';
import { z } from 'zod';

const statusWithErrors = (n: number, errLen: number): NncpStatus => ({
  rollout: {
    phase: 'Halted',
    nodes: Array.from({ length: n }, (_, i) => ({ name: `node-${i}`, phase: 'Failed' as const, attempts: 5, lastError: 'e'.repeat(errLen) })),
  },
});
const bytes = (s: unknown): number => new TextEncoder().encode(JSON.stringify(s)).length;

describe('status size helpers', () => {
  it('given a long error, should truncate it to the schema limit', () => {
    const t = truncateError('x'.repeat(1000));
    expect(t).toHaveLength(NODE_ERROR_MAX_LENGTH);
    expect(nncpStatus.safeParse(statusWithErrors(1, 0)).success).toBe(true);
    expect(nncpStatus.safeParse(statusWithErrors(1, NODE_ERROR_MAX_LENGTH + 1)).success).toBe(false);
  });

  it('given a status within budget, should leave it as is', () => {
    const s = statusWithErrors(10, 200);
    expect(fitStatus(s)).toBe(s);
  });

  it('given a status over budget, should shorten node errors, then drop them, to fit', () => {
    const s = statusWithErrors(1000, 256);
    const short = fitStatus(s, 200_000);
    expect(bytes(short)).toBeLessThanOrEqual(200_000);
    expect(short.rollout!.nodes![0]!.lastError).toHaveLength(64);
    const none = fitStatus(s, 90_000);
    expect(bytes(none)).toBeLessThanOrEqual(90_000);
    expect(none.rollout!.nodes![0]!.lastError).toBeUndefined();
    expect(none.rollout!.nodes![0]!.phase).toBe('Failed');
  });
});

describe('spec schema', () => {
  it('given an upstream manifest spec, should accept it unchanged', () => {
    const spec = { nodeSelector: { 'kubernetes.io/hostname': 'node01' }, maxUnavailable: 3, capture: { gw: 'routes.running.destination=="0.0.0.0/0"' }, desiredState: { interfaces: [] } };
    expect(nncpSpec.parse(spec)).toEqual(spec);
  });
  it('given an unknown spec field, should reject it like strict field validation', () => {
    expect(nncpSpec.safeParse({ paused: true }).success).toBe(false);
  });
});

describe('toOpenApi', () => {
  it('given a field without a description, should refuse to generate', () => {
    expect(() => toOpenApi(z.object({ a: z.string() }), 'x')).toThrow('x.a: every field needs a description');
  });
  it('given int-or-string, records, enums and bounds, should emit a structural schema', () => {
    const s = z.object({
      n: doc(z.union([z.int().min(0), z.string().max(4)]), 'count'),
      free: doc(z.record(z.string(), z.unknown()), 'free'),
      e: doc(z.enum(['a', 'b']), 'enum').optional(),
      l: doc(z.array(z.string().max(3)).min(1).max(2), 'list'),
    });
    expect(toOpenApi(s)).toEqual({
      type: 'object',
      properties: {
        e: { description: 'enum', type: 'string', enum: ['a', 'b'] },
        free: { description: 'free', type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        l: { description: 'list', type: 'array', items: { type: 'string', maxLength: 3 }, minItems: 1, maxItems: 2 },
        n: { description: 'count', 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], maxLength: 4 },
      },
      required: ['free', 'l', 'n'],
    });
  });
});
