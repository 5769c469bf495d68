import { describe, expect, it } from '@jest/globals';
import { DESIRED_STATE_PATH, desiredStateValidations, desiredStateVariables } from './desired-state-admission.ts';
import { validationPolicy } from './generate.ts';

// What the rules do is tested on the real apiserver (test/api/desired-state.test.ts); these check how
// the generated fragments fit together.
describe('desiredState admission rules (generated CEL)', () => {
  const variables = desiredStateVariables();
  const names = new Set(variables.map((v) => v.name));

  it('given the rules, should pair every validation with its boolean and its message list, both declared', () => {
    const validations = desiredStateValidations();
    expect(validations.length).toBeGreaterThanOrEqual(5);
    for (const v of validations) {
      const [, ok] = /variables\.(\w+Ok)$/.exec(v.expression) ?? [];
      const [, msgs] = /^variables\.(\w+)\.join\('; '\)$/.exec(v.messageExpression) ?? [];
      expect(names.has(ok!)).toBe(true);
      expect(ok).toBe(`${msgs}Ok`);
      expect(v.message.startsWith(DESIRED_STATE_PATH)).toBe(true);
      expect(v.reason).toBe('Invalid');
    }
  });

  it('given an UPDATE, should judge desiredState only when it changed (every validation is guarded)', () => {
    for (const v of desiredStateValidations()) expect(v.expression.startsWith('!variables.desiredStateChanged || ')).toBe(true);
  });

  it('given the boolean forms, should build no message list (the cheap path the cost limit allows)', () => {
    for (const v of variables.filter((x) => x.name.endsWith('Ok'))) {
      expect(v.expression).not.toContain('lists.range');
      expect(v.expression).not.toContain('flatten');
    }
  });

  it('given the message forms, should start every message with a spec.desiredState path', () => {
    for (const v of variables.filter((x) => x.name.startsWith('ds') && !x.name.endsWith('Ok'))) {
      const literals = [...v.expression.matchAll(/\? \[('[^']*')/g)].map((m) => m[1]!);
      expect(literals.length).toBeGreaterThan(0);
      for (const l of literals) expect(l.startsWith(`'${DESIRED_STATE_PATH}`)).toBe(true);
    }
  });

  it('given the whole policy, should declare each variable before a variable or validation uses it', () => {
    const spec = validationPolicy().spec as { variables: { name: string; expression: string }[]; validations: { expression: string; messageExpression?: string }[] };
    const declared = new Set<string>();
    for (const v of spec.variables) {
      for (const [, used] of v.expression.matchAll(/variables\.(\w+)/g)) expect(declared.has(used!)).toBe(true);
      declared.add(v.name);
    }
    for (const v of spec.validations) for (const [, used] of `${v.expression} ${v.messageExpression ?? ''}`.matchAll(/variables\.(\w+)/g)) expect(declared.has(used!)).toBe(true);
  });
});
