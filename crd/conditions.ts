/**
 * The condition update rule shared by NNCP and NNCE status (upstream `ConditionList.Set` in
 * `condition_types.go`, package `api/shared`). Pure: the caller passes `now`.
 */
import type { ConditionStatus } from './schema.ts';

/** The shape every nmstate.io condition has (NNCP, NNCE, NNS). */
export interface Condition<T extends string = string, R extends string = string> {
  type: T;
  status: ConditionStatus;
  reason?: R;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

/** What a setter decides for one condition; the timestamps come from {@link setCondition}. */
export interface ConditionChange<T extends string = string, R extends string = string> {
  type: T;
  status: ConditionStatus;
  /** `''` is upstream's reset reason; it is left out of the written object, as Go's omitempty does. */
  reason: R;
  /** `''` (the non-True conditions of a setter) is left out of the written object. */
  message: string;
}

/**
 * Kubernetes time as `metav1.Time` writes it: RFC 3339 in UTC, whole seconds
 * (`2026-11-30T04:13:15Z`).
 */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * Sets one condition in a list, returning a new list (the input is not changed):
 * - absent: appended, with `lastTransitionTime` and `lastHeartbeatTime` both `now`;
 * - present: status, reason and message are overwritten; `lastTransitionTime` becomes `now` only
 *   when the status changes;
 * - always: `lastHeartbeatTime` is `now`.
 */
export function setCondition<T extends string, R extends string>(conditions: readonly Condition<T, R>[], change: ConditionChange<T, R>, now: string): Condition<T, R>[] {
  const fields = (c: ConditionChange<T, R>): Pick<Condition<T, R>, 'reason' | 'message'> => ({
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  });
  const i = conditions.findIndex((c) => c.type === change.type);
  if (i < 0) return [...conditions, { type: change.type, status: change.status, ...fields(change), lastHeartbeatTime: now, lastTransitionTime: now }];
  const old = conditions[i]!;
  const lastTransitionTime = old.status !== change.status || old.lastTransitionTime === undefined ? now : old.lastTransitionTime;
  const next: Condition<T, R> = { type: change.type, status: change.status, ...fields(change), lastHeartbeatTime: now, lastTransitionTime };
  return conditions.map((c, j) => (j === i ? next : c));
}

/** Applies {@link setCondition} for each change, in order (upstream setters call `Set` in a fixed order). */
export function setConditions<T extends string, R extends string>(conditions: readonly Condition<T, R>[], changes: readonly ConditionChange<T, R>[], now: string): Condition<T, R>[] {
  return changes.reduce<Condition<T, R>[]>((list, change) => setCondition(list, change, now), [...conditions]);
}

/** The first condition whose status is True (what kubectl's `Status` column shows), if any. */
export function trueCondition<C extends Condition>(conditions: readonly C[] | undefined): C | undefined {
  return conditions?.find((c) => c.status === 'True');
}
