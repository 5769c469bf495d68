/**
 * docs/api-reference.md is what the zod schemas generate (else `npm run gen:api-docs`), and the pure
 * pieces of its renderer (defaults read from descriptions, type column, field walk) do what they say.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiReference, defaultFrom, fieldRows, fieldTable, typeOf } from '../../hack/api-reference.ts';
import { ROOT } from './support.ts';

describe('generated API reference', () => {
  it('given the zod schemas, should match the committed docs/api-reference.md (else run npm run gen:api-docs)', () => {
    const path = join(ROOT, 'docs/api-reference.md');
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(apiReference());
  });

  it('given the NNCP, NNCE and NNS schemas, should document every rollout field with its default', () => {
    const page = apiReference();
    for (const field of ['spec.rollout.waves[].pause', 'spec.rollout.maxFailures', 'spec.probes.dns.host', 'status.rollout.nodes[].lastError', 'status.capturedStates.*.state', 'status.currentState']) {
      expect(page).toContain(`| \`${field}\``);
    }
    expect(page).toMatch(/\| `spec\.maxUnavailable` \| int-or-string[^|]*\| "50%" \|/);
    expect(page).toMatch(/\| `spec\.rollout\.onFailure` \| string: `halt`, `rollback` \| "halt" \|/);
  });
});

describe('defaultFrom', () => {
  it.each([
    ['Run the probe. Default true.', 'true'],
    ['A count. Default "50%".', '"50%"'],
    ['Name to resolve. Default: the agent\'s host, unless set.', "the agent's host, unless set"],
    ['Ordered stages. Absent: one wave with every node (upstream behaviour). Within a wave…', 'one wave with every node (upstream behaviour)'],
    ['Selector. Empty or absent: every node. More info: x', 'every node'],
    ['"halt" stops (upstream behaviour, the default); "rollback" reverts.', '"halt"'],
    ['Checks readiness (default 5 in the agent).', ''],
    ['Node name.', ''],
  ])('given the description %j, should read the default %j', (description, expected) => {
    expect(defaultFrom(description)).toBe(expected);
  });
});

describe('typeOf and fieldRows', () => {
  it('given int-or-string, lists, maps, enums and bounds, should write the type column', () => {
    expect(typeOf({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], maxLength: 4 })).toBe('int-or-string, length ≤ 4');
    expect(typeOf({ type: 'array', items: { type: 'integer', minimum: 1 }, maxItems: 3, 'x-kubernetes-list-map-keys': ['name'] })).toBe('[]integer, ≥ 1, ≤ 3 items, keyed by name');
    expect(typeOf({ type: 'object', additionalProperties: { type: 'string' }, maxProperties: 2 })).toBe('map[string]string, ≤ 2 entries');
    expect(typeOf({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true })).toBe('object (free-form)');
    expect(typeOf({ type: 'string', enum: ['a', 'b'] })).toBe('string: `a`, `b`');
    expect(typeOf({ type: 'string', format: 'date-time' })).toBe('string (date-time)');
  });

  it('given nested objects, lists and maps, should list every field with its path, required flag and rule messages', () => {
    const rows = fieldRows(
      {
        type: 'object',
        properties: {
          list: { type: 'array', description: 'L.', items: { type: 'object', required: ['n'], properties: { n: { type: 'integer', description: 'N. Default 1.', 'x-kubernetes-validations': [{ rule: 'self > 0', message: 'must be | positive' }] } } } },
          map: { type: 'object', description: 'M.', additionalProperties: { type: 'object', properties: { v: { type: 'string', description: 'V <x>.' } } } },
        },
      },
      'spec',
    );
    expect(rows.map((r) => [r.path, r.required, r.default, r.rules])).toEqual([
      ['spec.list', false, '', []],
      ['spec.list[].n', true, '1', ['must be | positive']],
      ['spec.map', false, '', []],
      ['spec.map.*.v', false, '', []],
    ]);
    const table = fieldTable(rows);
    expect(table).toContain('| `spec.list[].n` (required) | integer | 1 | N. Default 1. Otherwise refused: `must be \\| positive`. |');
    expect(table).toContain('V &lt;x>.');
  });
});
