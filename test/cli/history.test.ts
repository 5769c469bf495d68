/**
 * The Temporal history read as per-node steps (pure): activities matched with how they ended,
 * payloads and failure details decoded, attempts counted per node, cluster activities left out; and
 * what `history` and `why` print from them.
 */
import { describe, expect, it } from '@jest/globals';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ApplyFailureDetails } from '../../activities/node/contract.ts';
import { activityRecords, previousRunId, type HistoryEventLike } from '../../cli/history/activity-records.ts';
import { nodeHistories } from '../../cli/history/node-history.ts';
import { renderHistory } from '../../cli/render/history.ts';
import { renderWhy } from '../../cli/render/why.ts';

const payload = (v: unknown) => defaultPayloadConverter.toPayload(v);
/** A protobuf int64 as the client decodes it. */
const long = (n: number) => ({ toNumber: () => n });
const at = (s: number) => ({ eventTime: { seconds: long(1_795_000_000 + s), nanos: 0 } });

const failureDetails: ApplyFailureDetails = {
  node: 'n1',
  policy: 'p',
  generation: 1,
  type: 'ProbeFailed',
  message: "failed runnig probe 'ping'",
  rolledBack: true,
  renderedState: { interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'up' }], routes: { config: [{ destination: '0.0.0.0/0' }] } },
  restoreActions: ['remove interface br1 (linux-bridge)'],
  remainingDifferences: [],
  probes: [
    { name: 'ping', selected: true, after: { ok: false, message: 'ping -I eth0 198.51.100.1: no answer', attempts: 3, durationMs: 3000 } },
    { name: 'dns', selected: false, reason: 'failed before the change' },
    { name: 'api-server', selected: true, after: { ok: true, message: 'ok', attempts: 1, durationMs: 20 } },
  ],
};

function scheduled(id: number, s: number, activity: string, queue: string, summary?: string): HistoryEventLike {
  return {
    eventId: long(id),
    ...at(s),
    ...(summary ? { userMetadata: { summary: payload(summary) } } : {}),
    activityTaskScheduledEventAttributes: { activityId: String(id), activityType: { name: activity }, taskQueue: { name: queue }, input: { payloads: [payload({ policy: 'p', generation: 1 })] } },
  };
}

const events: HistoryEventLike[] = [
  { eventId: long(1), ...at(0), workflowExecutionStartedEventAttributes: { continuedExecutionRunId: 'run-0' } },
  scheduled(5, 1, 'applyNodeState', 'knmstate.node.n1', 'apply p@1 on n1, attempt 1/2'),
  scheduled(6, 1, 'reportStatus', 'knmstate.cluster'),
  { eventId: long(7), ...at(2), activityTaskStartedEventAttributes: { scheduledEventId: long(5), attempt: 1 } },
  { eventId: long(8), ...at(2), activityTaskCompletedEventAttributes: { scheduledEventId: long(6) } },
  {
    eventId: long(9),
    ...at(6),
    activityTaskFailedEventAttributes: {
      scheduledEventId: long(5),
      failure: { message: "failed runnig probe 'ping'", applicationFailureInfo: { type: 'ProbeFailed', details: { payloads: [payload(failureDetails)] } } },
    },
  },
  scheduled(10, 7, 'applyNodeState', 'knmstate.node.n1', 'apply p@1 on n1, attempt 2/2'),
  { eventId: long(11), ...at(7), activityTaskStartedEventAttributes: { scheduledEventId: long(10), attempt: 1 } },
  { eventId: long(12), ...at(9), activityTaskTimedOutEventAttributes: { scheduledEventId: long(10), failure: { message: 'activity ScheduleToStart timeout', timeoutFailureInfo: { timeoutType: 2 } } } },
  scheduled(13, 10, 'revertNodeState', 'knmstate.node.n2'),
  { eventId: long(14), ...at(10), activityTaskStartedEventAttributes: { scheduledEventId: long(13), attempt: 1 } },
  { eventId: long(15), ...at(11), activityTaskCompletedEventAttributes: { scheduledEventId: long(13), result: { payloads: [payload({ node: 'n2', policy: 'p', generation: 1, reverted: true, actions: ['remove interface br1'], durationMs: 900 })] } } },
  scheduled(16, 12, 'applyNodeState', 'knmstate.node.n3'),
];

describe('history as node steps', () => {
  it('given a run history, should match each activity with its end, decode payloads and link the previous run', () => {
    const records = activityRecords(events, 'run-1');
    expect(previousRunId(events)).toBe('run-0');
    expect(records.map((r) => [r.activity, r.node, r.outcome])).toEqual([
      ['applyNodeState', 'n1', 'failed'],
      ['reportStatus', undefined, 'completed'],
      ['applyNodeState', 'n1', 'timedOut'],
      ['revertNodeState', 'n2', 'completed'],
      ['applyNodeState', 'n3', 'running'],
    ]);
    expect(records[0]).toMatchObject({ summary: 'apply p@1 on n1, attempt 1/2', durationMs: 4000, input: { policy: 'p' }, failure: { type: 'ProbeFailed', details: failureDetails }, runId: 'run-1' });
    expect(records[2]!.failure).toMatchObject({ type: 'Timeout', message: 'activity ScheduleToStart timeout' });
  });

  it('given the records, should give per-node steps with attempts, probes and what was put back, without cluster activities', () => {
    const h = nodeHistories(activityRecords(events));
    expect(h.map((x) => x.node)).toEqual(['n1', 'n2', 'n3']);
    expect(h[0]!.steps).toMatchObject([
      { op: 'apply', attempt: 1, outcome: 'failed', errorType: 'ProbeFailed', rolledBack: true, restoreActions: ['remove interface br1 (linux-bridge)'], remainingDifferences: [] },
      { op: 'apply', attempt: 2, outcome: 'timedOut', errorType: 'Timeout' },
    ]);
    expect(h[0]!.steps[0]!.probes).toEqual([
      { name: 'ping', selected: true, ok: false, message: 'ping -I eth0 198.51.100.1: no answer', tries: 3, durationMs: 3000 },
      { name: 'dns', selected: false, reason: 'failed before the change' },
      { name: 'api-server', selected: true, ok: true, message: 'ok', tries: 1, durationMs: 20 },
    ]);
    expect(h[1]!.steps[0]).toMatchObject({ op: 'revert', reverted: true, restoreActions: ['remove interface br1'] });
    expect(nodeHistories(activityRecords(events), 'n2').map((x) => x.node)).toEqual(['n2']);
  });

  it('given the steps, should print history per node and explain the failed node with its probe and rollback', () => {
    const h = nodeHistories(activityRecords(events));
    const text = renderHistory('p', h, { color: false, runs: 2 });
    expect(text).toContain('History of the rollout of p (2 workflow runs, times UTC)');
    expect(text).toMatch(/apply #1 +\d\d:\d\d:\d\d {2}4\.0s +✖ ProbeFailed/);
    expect(text).toContain('probes: ping ✖ 3.0s, dns not run, api-server ✔ 20ms');
    expect(text).toContain('rolled back on the node; restored exactly');
    expect(text).toMatch(/revert #1 .*✔ reverted/);
    expect(text).toContain('⟳ running');

    const why = renderWhy({ policy: 'p', generation: 1, node: { name: 'n1', wave: 1, phase: 'Failed', attempts: 2, lastError: 'x', lastErrorType: 'Timeout' }, history: h[0]!, enactment: { type: 'Failing', reason: 'FailedToConfigure', message: 'x' } }, { color: false });
    expect(why.split('\n')[0]).toBe('n1 in the rollout of p (generation 1): ✖ Failed after 2 attempts');
    // The last attempt timed out (no details): the probe and rollback come from attempt #1.
    expect(why).toContain('error:      Timeout: activity ScheduleToStart timeout');
    expect(why).toContain('probe:      ping failed after the change (attempt #1) (3 tries in 3.0s): ping -I eth0 198.51.100.1: no answer');
    expect(why).toContain('rollback:   put back: remove interface br1 (linux-bridge) (attempt #1)');
    expect(why).toContain('wanted:     br1 (linux-bridge, up); 1 route');
    expect(why).toContain('remaining:  none: the node is as it was before');
    expect(why).toContain('attempts:   #1 ✖ ProbeFailed 4.0s, #2 ✖ Timeout 2.0s');
    expect(why).toContain('enactment:  Failing FailedToConfigure: x');
  });
});
