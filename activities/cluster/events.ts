/**
 * The rollout's Warning events on the policy (upstream: reason `ReconcileFailed`, on the NNCP, in
 * namespace `default` since the NNCP is cluster-scoped). Each event's name is derived from what it
 * says, so a retried report never writes the same event twice.
 */
import { createHash } from 'node:crypto';
import type { CoreV1Event } from '@kubernetes/client-node';
import { NNCP, truncateError } from '../../crd/nncp.ts';
import type { RolloutEvent } from './contract.ts';
import { EVENT_NAMESPACE } from './kube-api.ts';

/** The component the events name as their source. */
export const EVENT_COMPONENT = 'knmstate-controller';

/** Longest event message written (the Events API's note limit). */
export const EVENT_MESSAGE_MAX_LENGTH = 1024;

/** What identifies the policy an event is about. */
export interface EventSubject {
  policy: string;
  uid: string | undefined;
  generation: number;
}

/**
 * A stable event name: the policy name made DNS-safe, then a hash of policy uid, generation, node,
 * reason and message. The same event reported twice has the same name.
 */
export function eventName(subject: EventSubject, e: RolloutEvent): string {
  const base = subject.policy.toLowerCase().replace(/[^a-z0-9.-]/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'policy';
  const hash = createHash('sha256').update(JSON.stringify([subject.uid ?? '', subject.generation, e.node ?? '', e.reason, e.message])).digest('hex').slice(0, 16);
  return `${base}.${hash}`;
}

/** The core/v1 Event for a rollout event. */
export function eventObject(subject: EventSubject, e: RolloutEvent, now: Date): CoreV1Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: eventName(subject, e), namespace: EVENT_NAMESPACE },
    involvedObject: { apiVersion: NNCP.apiVersion, kind: NNCP.kind, name: subject.policy, ...(subject.uid ? { uid: subject.uid } : {}) },
    type: 'Warning',
    reason: e.reason,
    message: truncateError(e.message, EVENT_MESSAGE_MAX_LENGTH),
    source: { component: EVENT_COMPONENT, ...(e.node ? { host: e.node } : {}) },
    reportingComponent: EVENT_COMPONENT,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}
