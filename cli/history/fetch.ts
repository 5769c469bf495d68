/**
 * Reads a rollout's whole Temporal history: the latest run, then each run it continued from
 * (continue-as-new), oldest first, as activity records.
 */
import type { Client } from '@temporalio/client';
import { activityRecords, previousRunId, type ActivityRecord, type HistoryEventLike } from './activity-records.ts';

/** Most runs followed back (a rollout continues as new per superseding generation or full history). */
export const MAX_RUNS = 20;

/** The activity records of every run of `workflowId`, oldest run first. */
export async function fetchActivityRecords(client: Client, workflowId: string): Promise<{ records: ActivityRecord[]; runs: number }> {
  const runs: ActivityRecord[][] = [];
  let runId: string | undefined;
  for (let i = 0; i < MAX_RUNS; i++) {
    const handle = client.workflow.getHandle(workflowId, runId);
    const desc = await handle.describe();
    const history = await handle.fetchHistory();
    const events = (history.events ?? []) as HistoryEventLike[];
    runs.unshift(activityRecords(events, desc.runId));
    runId = previousRunId(events);
    if (!runId) break;
  }
  return { records: runs.flat(), runs: runs.length };
}
