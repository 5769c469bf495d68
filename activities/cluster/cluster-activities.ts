/**
 * The cluster-side activities of the rollout engine (contract: ./contract.ts), on
 * @kubernetes/client-node. They are the one writer of the NNCP status, the NNCEs and the rollout's
 * events:
 *
 * - resolveNodes: one paged list of Nodes, one paged list of the policy's NNCEs (remembered, so
 *   that the reports that follow write each enactment with one request);
 * - reportStatus: checks that the report is not older than what the NNCP shows (uid and
 *   generation) and, for a report of changed nodes only, that the status shows the same rollout
 *   to merge them into; writes the changed NNCEs (at most {@link ClusterActivityOptions.concurrency} at
 *   once), then the NNCP status (re-read, recomputed and re-written on conflict), then the events,
 *   then holds until `minIntervalMs` has passed since it began writing, so a workflow reporting in a
 *   loop writes a bounded number of times a second;
 * - deleteEnactments: by the policy's label, all or all but the kept nodes.
 *
 * Failures are typed ApplicationFailures (./errors.ts).
 */
import { Context } from '@temporalio/activity';
import type { KubeConfig, V1Node } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { kubeTime } from '../../crd/conditions.ts';
import { canMergeNodes, FULL_REPORT_NEEDED, policyStatus } from '../../crd/policy-status.ts';
import type { NodeNetworkConfigurationPolicy } from '../../crd/nncp.ts';
import { enactmentName } from '../../crd/nnce.ts';
import type { ClusterActivities, DeleteEnactmentsInput, ReportStatusInput, ReportStatusResult, ResolveNodesInput, ResolveNodesResult } from './contract.ts';
import { writeEnactment, CONFLICT_ROUNDS, type EnactmentOutcome, type EnactmentWriteContext } from './enactment-writer.ts';
import { apiStatus, clusterFailure, ClusterConflict, invalidInput } from './errors.ts';
import { eventObject, type EventSubject } from './events.ts';
import { ClusterApi } from './kube-api.ts';
import { mapLimit } from './map-limit.ts';
import { ObjectCache } from './object-cache.ts';
import { enactmentNode, matchNodes, policySelector } from './resolve-nodes.ts';

/** Dependencies and settings of {@link createClusterActivities}. */
export interface ClusterActivityOptions {
  /** Credentials and server of the cluster. */
  kubeConfig: KubeConfig;
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Most enactment writes (and deletes) in flight at once. @default 16 */
  concurrency?: number;
}

/** Why a report wrote nothing (`ReportStatusResult.reason`). */
export const NOT_WRITTEN = {
  policyGone: 'PolicyNotFound',
  otherPolicy: 'PolicyRecreated',
  newerGeneration: 'NewerGenerationReported',
  /** A report of changed nodes only, for a status that does not show its rollout yet. */
  fullReportNeeded: FULL_REPORT_NEEDED,
} as const;

/**
 * Why a report for `input` must not touch `obj`, or undefined when it may: another uid (the policy
 * was re-created), or a status that already describes a newer generation than the report's.
 * A generation above the object's own can only come from a re-created policy.
 */
export function staleReport(obj: NodeNetworkConfigurationPolicy, input: Pick<ReportStatusInput, 'uid' | 'generation'>): string | undefined {
  if (input.uid && obj.metadata.uid && input.uid !== obj.metadata.uid) return NOT_WRITTEN.otherPolicy;
  if ((obj.status?.observedGeneration ?? 0) > input.generation) return NOT_WRITTEN.newerGeneration;
  if (obj.metadata.generation !== undefined && input.generation > obj.metadata.generation) return NOT_WRITTEN.otherPolicy;
  return undefined;
}

/** The current activity's context, or undefined when called outside an activity (tests, tools). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

const delay = (ms: number): Promise<void> => {
  if (ms <= 0) return Promise.resolve();
  const ctx = activityContext();
  return ctx ? ctx.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
};

/** Jittered backoff between conflict rounds: 10-20 ms, doubling up to ~320 ms. */
const conflictBackoff = (round: number): Promise<void> => delay(Math.min(320, 10 * 2 ** (round - 1)) * (1 + Math.random()));

function checkPolicyName(policy: unknown): asserts policy is string {
  if (typeof policy !== 'string' || policy === '') throw invalidInput('policy: a non-empty name is required');
}

/** Builds the cluster activities on a kubeconfig. */
export function createClusterActivities(opts: ClusterActivityOptions): ClusterActivities {
  const api = new ClusterApi(opts.kubeConfig);
  const log = opts.logger;
  const concurrency = Math.max(1, opts.concurrency ?? 16);
  /** Node uids seen by resolveNodes (or read for an enactment), for owner references. */
  const nodeUids = new Map<string, string>();
  /** The enactments as last listed or written: a known enactment is written without a read first. */
  const enactments = new ObjectCache();
  const remember = (n: V1Node): void => {
    if (n.metadata?.name && n.metadata.uid) nodeUids.set(n.metadata.name, n.metadata.uid);
  };

  async function resolveNodes(input: ResolveNodesInput): Promise<ResolveNodesResult> {
    checkPolicyName(input?.policy);
    try {
      const [nodes, listed] = await Promise.all([api.listNodes(), api.listEnactments(policySelector(input.policy))]);
      nodes.forEach(remember);
      const result = matchNodes(input, nodes, listed);
      for (const n of result.nodes) enactments.absent(enactmentName(n.name, input.policy));
      for (const e of listed) if (e.metadata.name) enactments.seen(e.metadata.name, e);
      return result;
    } catch (err) {
      throw clusterFailure(`resolveNodes ${input.policy}`, err);
    }
  }

  async function reportStatus(input: ReportStatusInput): Promise<ReportStatusResult> {
    checkPolicyName(input?.policy);
    if (!Number.isInteger(input.generation) || input.generation < 0) throw invalidInput(`generation: a non-negative integer is required, got ${String(input.generation)}`);
    if (!input.progress?.counts) throw invalidInput('progress: the rollout progress is required');
    const began = Date.now();
    const progress = { ...input.progress, generation: input.generation };
    const calledBy = input.workflowId ?? activityContext()?.info.workflowExecution?.workflowId;
    const result = await writeReport(input, progress, calledBy);
    // coalescing: hold until minIntervalMs since the writes began, written or not
    await delay(began + (input.minIntervalMs ?? 0) - Date.now());
    return result;
  }

  /** The writes of one report: enactments, policy status, events. */
  async function writeReport(input: ReportStatusInput, progress: ReportStatusInput['progress'], calledBy: string | undefined): Promise<ReportStatusResult> {
    const policy = input.policy;
    let conflicts = 0;
    try {
      const first = await api.getPolicy(policy);
      if (!first) return { written: false, reason: NOT_WRITTEN.policyGone };
      let obj: NodeNetworkConfigurationPolicy = first;
      const stale = staleReport(obj, input);
      if (stale) {
        log?.info({ policy, generation: input.generation, reason: stale }, 'status report not written');
        return { written: false, reason: stale };
      }
      if (input.nodesChangedOnly && !canMergeNodes(obj.status, progress)) return { written: false, reason: NOT_WRITTEN.fullReportNeeded };
      const uid = obj.metadata.uid;

      // 1. the changed enactments
      const ctx: EnactmentWriteContext = {
        api,
        cache: enactments,
        policy,
        generation: input.generation,
        nodeUid: (n) => nodeUids.get(n),
        rememberNode: remember,
        onConflict: () => void conflicts++,
        backoff: conflictBackoff,
      };
      // a heartbeat per enactment written (the SDK throttles them) lets a caller that sets a
      // heartbeatTimeout tell a long first report of a large rollout from a stuck one
      const activity = activityContext();
      let done = 0;
      const outcomes = await mapLimit<ReportStatusInput['enactments'][number], EnactmentOutcome>(input.enactments ?? [], concurrency, async (u) => {
        const outcome = await writeEnactment(ctx, u);
        activity?.heartbeat({ enactmentsWritten: ++done });
        return outcome;
      });
      const skipped = outcomes.filter((o) => o === 'newer-generation' || o === 'node-gone').length;
      if (skipped) log?.debug({ policy, skipped }, 'enactments left alone (newer generation or node gone)');

      // 2. the policy status, re-read and recomputed on conflict
      for (let round = 1; ; round++) {
        if (round > 1) {
          const reread = await api.getPolicy(policy);
          if (!reread) return { written: false, reason: NOT_WRITTEN.policyGone };
          obj = reread;
          const again = staleReport(obj, input);
          if (again) return { written: false, reason: again };
          // the enactments are written; what is missing is the whole node list
          if (input.nodesChangedOnly && !canMergeNodes(obj.status, progress)) return { written: false, reason: NOT_WRITTEN.fullReportNeeded };
        }
        const workflowId = calledBy ?? obj.status?.rollout?.workflowId;
        const status = policyStatus(obj.status, progress, { now: kubeTime(new Date()), ...(workflowId ? { workflowId } : {}), ...(input.nodesChangedOnly ? { nodesChangedOnly: true } : {}) });
        try {
          await api.replacePolicyStatus({ ...obj, status });
          break;
        } catch (err) {
          if (apiStatus(err) === 404) return { written: false, reason: NOT_WRITTEN.policyGone };
          if (apiStatus(err) !== 409) throw err;
          conflicts++;
          if (round >= CONFLICT_ROUNDS) throw err;
          log?.debug({ policy, round }, 'conflict writing policy status, re-reading');
          await conflictBackoff(round);
        }
      }

      // 3. the events
      if (input.events?.length) {
        const subject: EventSubject = { policy, uid, generation: input.generation };
        const now = new Date();
        await mapLimit(input.events, concurrency, (e) => api.createEvent(eventObject(subject, e, now)));
      }
      return { written: true, ...(conflicts ? { conflicts } : {}) };
    } catch (err) {
      const failure = clusterFailure(`reportStatus ${policy} generation ${input.generation}`, err);
      if (failure.type === ClusterConflict) log?.warn({ policy, conflicts }, 'status conflicts outlived the retries');
      throw failure;
    }
  }

  async function deleteEnactments(input: DeleteEnactmentsInput): Promise<{ deleted: string[] }> {
    checkPolicyName(input?.policy);
    const keep = new Set(input.keepNodes ?? []);
    try {
      const all = await api.listEnactments(policySelector(input.policy));
      const doomed = all.filter((e) => !keep.has(enactmentNode(e, input.policy) ?? '')).map((e) => e.metadata.name!);
      const gone = await mapLimit(doomed, concurrency, (name) => {
        enactments.forget(name);
        return api.deleteEnactment(name);
      });
      return { deleted: doomed.filter((_, i) => gone[i]).sort() };
    } catch (err) {
      throw clusterFailure(`deleteEnactments ${input.policy}`, err);
    }
  }

  return { resolveNodes, reportStatus, deleteEnactments };
}
