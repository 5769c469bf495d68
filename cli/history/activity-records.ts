/**
 * A rollout's Temporal history read as what happened on each node: every activity the workflow
 * scheduled (apply, revert, plan, status writes), matched with how it ended, its input, result or
 * failure (payloads decoded with the default converter), its summary and its times. Pure: takes the
 * events as the client's `fetchHistory()` returns them (only the fields read here are typed).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { nodeTaskQueue } from '../../workflows/task-queues.ts';

/** A protobuf int64 as the client decodes it (a Long), or a number. */
type Int64 = number | { toNumber(): number } | string | null | undefined;

interface PayloadsLike {
  payloads?: unknown[] | null;
}

/** A Temporal failure as it sits in history. */
export interface FailureLike {
  message?: string | null;
  applicationFailureInfo?: { type?: string | null; nonRetryable?: boolean | null; details?: PayloadsLike | null } | null;
  timeoutFailureInfo?: { timeoutType?: unknown } | null;
  canceledFailureInfo?: unknown;
  cause?: FailureLike | null;
}

/** The fields of a history event this module reads. */
export interface HistoryEventLike {
  eventId?: Int64;
  eventTime?: { seconds?: Int64; nanos?: number | null } | null;
  userMetadata?: { summary?: unknown } | null;
  workflowExecutionStartedEventAttributes?: { continuedExecutionRunId?: string | null } | null;
  activityTaskScheduledEventAttributes?: { activityId?: string | null; activityType?: { name?: string | null } | null; taskQueue?: { name?: string | null } | null; input?: PayloadsLike | null } | null;
  activityTaskStartedEventAttributes?: { scheduledEventId?: Int64; attempt?: number | null } | null;
  activityTaskCompletedEventAttributes?: { scheduledEventId?: Int64; result?: PayloadsLike | null } | null;
  activityTaskFailedEventAttributes?: { scheduledEventId?: Int64; failure?: FailureLike | null } | null;
  activityTaskTimedOutEventAttributes?: { scheduledEventId?: Int64; failure?: FailureLike | null } | null;
  activityTaskCanceledEventAttributes?: { scheduledEventId?: Int64 } | null;
}

/** A decoded failure. */
export interface FailureInfo {
  /** ApplicationFailure type (`ProbeFailed`, …), or `Timeout` / `Cancelled`. */
  type: string;
  message: string;
  nonRetryable?: boolean;
  /** `details[0]`, decoded (for node activities: ApplyFailureDetails). */
  details?: unknown;
}

/** One activity execution. */
export interface ActivityRecord {
  /** The activity's name: `applyNodeState`, `revertNodeState`, `reportStatus`, … */
  activity: string;
  /** The node whose queue it ran on (node activities only). */
  node?: string;
  summary?: string;
  /** ISO times. */
  scheduled: string;
  started?: string;
  ended?: string;
  /** From start (or schedule) to end. */
  durationMs?: number;
  outcome: 'completed' | 'failed' | 'timedOut' | 'canceled' | 'running';
  /** Temporal's attempt number of the activity task (the engine retries by scheduling anew). */
  taskAttempt?: number;
  input?: unknown;
  result?: unknown;
  failure?: FailureInfo;
  /** The workflow run it belongs to. */
  runId?: string;
}

const NODE_QUEUE_PREFIX = nodeTaskQueue('x').slice(0, -1);

/** An int64 as a number. */
export function int64(v: Int64): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return v.toNumber();
}

function eventMs(e: HistoryEventLike): number {
  return int64(e.eventTime?.seconds) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
}

/** Decodes one payload; undefined when it cannot be decoded (binary, encrypted). */
export function decodePayload(p: unknown): unknown {
  if (!p) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(p);
  } catch {
    return undefined;
  }
}

function first(p: PayloadsLike | null | undefined): unknown {
  return decodePayload(p?.payloads?.[0]);
}

/** A history failure decoded: its type, message, and details[0] (following `cause` to the application failure). */
export function decodeFailure(f: FailureLike | null | undefined): FailureInfo {
  let cur = f;
  for (let i = 0; cur && i < 5; i++) {
    if (cur.applicationFailureInfo) {
      const details = first(cur.applicationFailureInfo.details);
      return {
        type: cur.applicationFailureInfo.type || 'Error',
        message: cur.message ?? '',
        ...(cur.applicationFailureInfo.nonRetryable ? { nonRetryable: true } : {}),
        ...(details !== undefined ? { details } : {}),
      };
    }
    if (cur.timeoutFailureInfo) return { type: 'Timeout', message: cur.message || 'activity timed out' };
    if (cur.canceledFailureInfo) return { type: 'Cancelled', message: cur.message || 'cancelled' };
    if (!cur.cause) break;
    cur = cur.cause;
  }
  return { type: 'Error', message: f?.message ?? '' };
}

/** The previous run of a continued-as-new workflow, from its first event. */
export function previousRunId(events: readonly HistoryEventLike[]): string | undefined {
  return events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
}

/** Every activity of one run's history, in schedule order. */
export function activityRecords(events: readonly HistoryEventLike[], runId?: string): ActivityRecord[] {
  const byScheduled = new Map<number, ActivityRecord & { startedMs?: number; scheduledMs: number }>();
  const out: (ActivityRecord & { startedMs?: number; scheduledMs: number })[] = [];
  const end = (id: Int64, e: HistoryEventLike, outcome: ActivityRecord['outcome'], extra: Partial<ActivityRecord>): void => {
    const r = byScheduled.get(int64(id));
    if (!r) return;
    const ms = eventMs(e);
    Object.assign(r, extra, { outcome, ended: new Date(ms).toISOString(), durationMs: ms - (r.startedMs ?? r.scheduledMs) });
  };
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      const ms = eventMs(e);
      const queue = s.taskQueue?.name ?? '';
      const summary = decodePayload(e.userMetadata?.summary);
      const input = first(s.input);
      const r = {
        activity: s.activityType?.name ?? '?',
        ...(queue.startsWith(NODE_QUEUE_PREFIX) ? { node: queue.slice(NODE_QUEUE_PREFIX.length) } : {}),
        ...(typeof summary === 'string' ? { summary } : {}),
        scheduled: new Date(ms).toISOString(),
        scheduledMs: ms,
        outcome: 'running' as const,
        ...(input !== undefined ? { input } : {}),
        ...(runId ? { runId } : {}),
      };
      byScheduled.set(int64(e.eventId), r);
      out.push(r);
      continue;
    }
    if (e.activityTaskStartedEventAttributes) {
      const r = byScheduled.get(int64(e.activityTaskStartedEventAttributes.scheduledEventId));
      if (r) {
        r.startedMs = eventMs(e);
        r.started = new Date(r.startedMs).toISOString();
        if (e.activityTaskStartedEventAttributes.attempt) r.taskAttempt = e.activityTaskStartedEventAttributes.attempt;
      }
      continue;
    }
    const c = e.activityTaskCompletedEventAttributes;
    if (c) {
      const result = first(c.result);
      end(c.scheduledEventId, e, 'completed', result !== undefined ? { result } : {});
      continue;
    }
    const f = e.activityTaskFailedEventAttributes;
    if (f) {
      end(f.scheduledEventId, e, 'failed', { failure: decodeFailure(f.failure) });
      continue;
    }
    const t = e.activityTaskTimedOutEventAttributes;
    if (t) {
      end(t.scheduledEventId, e, 'timedOut', { failure: { ...decodeFailure(t.failure), type: 'Timeout' } });
      continue;
    }
    const x = e.activityTaskCanceledEventAttributes;
    if (x) end(x.scheduledEventId, e, 'canceled', {});
  }
  return out.map(({ startedMs: _s, scheduledMs: _m, ...r }) => r);
}

/** The node activities of a record list, grouped by node in first-seen order. */
export function recordsByNode(records: readonly ActivityRecord[]): Map<string, ActivityRecord[]> {
  const m = new Map<string, ActivityRecord[]>();
  for (const r of records) {
    if (!r.node) continue;
    const list = m.get(r.node) ?? [];
    list.push(r);
    m.set(r.node, list);
  }
  return m;
}
