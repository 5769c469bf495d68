import { describe, expect, it } from '@jest/globals';
import { kubeTime, setCondition, setConditions, trueCondition, type Condition, type ConditionChange } from './conditions.ts';

const T0 = '2026-11-30T04:00:00Z';
const T1 = '2026-11-30T04:00:05Z';

const existing: Condition = { type: 'Available', status: 'False', reason: 'A', message: 'old', lastHeartbeatTime: T0, lastTransitionTime: T0 };

describe('condition update rule (upstream ConditionList.Set)', () => {
  it.each<[string, Condition[], ConditionChange, Condition]>([
    ['an absent condition', [], { type: 'Available', status: 'True', reason: 'R', message: 'm' }, { type: 'Available', status: 'True', reason: 'R', message: 'm', lastHeartbeatTime: T1, lastTransitionTime: T1 }],
    ['a status change', [existing], { type: 'Available', status: 'True', reason: 'A', message: 'old' }, { type: 'Available', status: 'True', reason: 'A', message: 'old', lastHeartbeatTime: T1, lastTransitionTime: T1 }],
    ['a reason change only', [existing], { type: 'Available', status: 'False', reason: 'B', message: 'old' }, { type: 'Available', status: 'False', reason: 'B', message: 'old', lastHeartbeatTime: T1, lastTransitionTime: T0 }],
    ['a message change only', [existing], { type: 'Available', status: 'False', reason: 'A', message: 'new' }, { type: 'Available', status: 'False', reason: 'A', message: 'new', lastHeartbeatTime: T1, lastTransitionTime: T0 }],
    ['no change at all', [existing], { type: 'Available', status: 'False', reason: 'A', message: 'old' }, { type: 'Available', status: 'False', reason: 'A', message: 'old', lastHeartbeatTime: T1, lastTransitionTime: T0 }],
    ['an empty reason and message', [existing], { type: 'Available', status: 'Unknown', reason: '', message: '' }, { type: 'Available', status: 'Unknown', lastHeartbeatTime: T1, lastTransitionTime: T1 }],
  ])('given %s, should set the fields and timestamps as upstream does', (_what, list, change, expected) => {
    const out = setCondition(list, change, T1);
    expect(out).toEqual([expected]);
  });

  it('given a list, should not change the input and should keep the other conditions in place', () => {
    const other: Condition = { type: 'Degraded', status: 'True', lastHeartbeatTime: T0, lastTransitionTime: T0 };
    const list = [other, existing];
    const out = setConditions(list, [{ type: 'Available', status: 'True', reason: 'X', message: '' }, { type: 'Progressing', status: 'False', reason: 'X', message: '' }], T1);
    expect(list[1]).toEqual(existing);
    expect(out.map((c) => c.type)).toEqual(['Degraded', 'Available', 'Progressing']);
    expect(out[0]).toBe(other);
  });

  it('given conditions, should find the first True one as the printer column does', () => {
    expect(trueCondition([existing, { type: 'Degraded', status: 'True' }])?.type).toBe('Degraded');
    expect(trueCondition([existing])).toBeUndefined();
    expect(trueCondition(undefined)).toBeUndefined();
  });

  it('given a date, should write it in whole seconds like metav1.Time', () => {
    expect(kubeTime(new Date('2026-11-30T04:13:15.678Z'))).toBe('2026-11-30T04:13:15Z');
  });
});
