/**
 * A rollout's history as Temporal keeps it, for the benchmark: every run of the chain (a long rollout
 * continues as new), each with its event count and size as the server reports them (the figures
 * `workflowInfo().historyLength` / `historySize` give inside the workflow), and the per-node activity
 * cycles read from the events (scheduled → completed, as the workflow saw them).
 */
import type { Client, WorkflowHandle } from '@temporalio/client';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];
/** The event types read here (temporal.api.enums.v1.EventType; @temporalio/proto is not a direct dependency). */
const EventType = {
  EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: 10,
  EVENT_TYPE_ACTIVITY_TASK_COMPLETED: 12,
  EVENT_TYPE_ACTIVITY_TASK_FAILED: 13,
  EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: 14,
  EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: 28,
} as const;

/** One run of a rollout's chain. */
export interface RolloutRun {
  runId: string;
  /** History events (historyLength). */
  events: number;
  /** History size in bytes, as the server counts it. */
  bytes: number;
  /** The run's events. */
  history: HistoryEvent[];
}

/** A protobuf number that may arrive as a Long. */
const num = (v: unknown): number => (typeof v === 'number' ? v : v && typeof v === 'object' && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : Number(v ?? 0));

/** An event's type as a number (the proto enum). */
const typeOf = (e: HistoryEvent): number => Number(e.eventType ?? 0);

/** Milliseconds since the epoch of an event. */
export function eventTimeMs(e: HistoryEvent): number {
  return num(e.eventTime?.seconds) * 1000 + num(e.eventTime?.nanos) / 1e6;
}

/** Every run of the chain that started with `firstRunId`, in order, following continue-as-new. */
export async function rolloutRuns(client: Client, workflowId: string, firstRunId: string): Promise<RolloutRun[]> {
  const runs: RolloutRun[] = [];
  for (let runId: string | undefined = firstRunId; runId; ) {
    const h: WorkflowHandle = client.workflow.getHandle(workflowId, runId);
    const [desc, hist] = await Promise.all([h.describe(), h.fetchHistory()]);
    const events: HistoryEvent[] = hist.events ?? [];
    runs.push({ runId, events: desc.historyLength, bytes: desc.historySize ?? NaN, history: events });
    const last: HistoryEvent | undefined = events[events.length - 1];
    runId = last && typeOf(last) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW ? (last.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined) : undefined;
  }
  return runs;
}

/** One activity execution read from a history. */
export interface ActivityCycle {
  type: string;
  taskQueue: string;
  scheduledMs: number;
  /** Completed, failed or timed out. */
  closedMs: number;
  ok: boolean;
  /** Size of the activity's input payloads, bytes (what each call adds to the history). */
  inputBytes: number;
  /** The activity's result when it completed, decoded from its JSON payload. */
  result?: unknown;
}

/** The JSON value of a payload list's first payload (the SDK's default converter), if it is JSON. */
function decodeResult(payloads: readonly { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }[] | null | undefined): unknown {
  const p = payloads?.[0];
  if (!p?.data || new TextDecoder().decode(p.metadata?.encoding ?? new Uint8Array()) !== 'json/plain') return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(p.data)) as unknown;
  } catch {
    return undefined;
  }
}

/** The activities of a history with their schedule → close times (pure). */
export function activityCycles(events: readonly HistoryEvent[]): ActivityCycle[] {
  const scheduled = new Map<number, { type: string; taskQueue: string; at: number; inputBytes: number }>();
  const out: ActivityCycle[] = [];
  for (const e of events) {
    const id = num(e.eventId);
    if (typeOf(e) === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      const a = e.activityTaskScheduledEventAttributes;
      const inputBytes = (a?.input?.payloads ?? []).reduce((n, p) => n + (p.data?.length ?? 0), 0);
      scheduled.set(id, { type: a?.activityType?.name ?? '?', taskQueue: a?.taskQueue?.name ?? '?', at: eventTimeMs(e), inputBytes });
      continue;
    }
    const closed =
      typeOf(e) === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        ? { ok: true, of: e.activityTaskCompletedEventAttributes?.scheduledEventId, result: decodeResult(e.activityTaskCompletedEventAttributes?.result?.payloads) }
        : typeOf(e) === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
          ? { ok: false, of: e.activityTaskFailedEventAttributes?.scheduledEventId }
          : typeOf(e) === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT
            ? { ok: false, of: e.activityTaskTimedOutEventAttributes?.scheduledEventId }
            : undefined;
    if (!closed) continue;
    const s = scheduled.get(num(closed.of));
    if (s) out.push({ type: s.type, taskQueue: s.taskQueue, scheduledMs: s.at, closedMs: eventTimeMs(e), ok: closed.ok, inputBytes: s.inputBytes, ...('result' in closed && closed.result !== undefined ? { result: closed.result } : {}) });
  }
  return out;
}

/** First event time of the first run and last event time of the last run (server clock), ms. */
export function chainSpanMs(runs: readonly RolloutRun[]): { startMs: number; endMs: number } {
  const first = runs[0]?.history[0];
  const lastRun = runs[runs.length - 1]?.history;
  const last = lastRun?.[lastRun.length - 1];
  return { startMs: first ? eventTimeMs(first) : NaN, endMs: last ? eventTimeMs(last) : NaN };
}
