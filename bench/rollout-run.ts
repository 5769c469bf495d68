/**
 * One policy rollout as the benchmarks drive it: the NNCP is created in the apiserver (the
 * cluster-side activities write its status and NNCEs), the real `policyRollout` workflow is started
 * on the benchmark's worker queue with the production engine settings, and the run is timed from
 * the workflow's start to its end (and to the NNCP's Available=True), with the machine's CPU over
 * that time and every run of its history (continue-as-new included).
 */
import { Watch, type CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { NamespaceNotFoundError, ServiceError, WorkflowFailedError, type Client } from '@temporalio/client';
import { NNCP, type NncpSpec, type NodeNetworkConfigurationPolicy } from '../crd/nncp.ts';
import type { RolloutProgress } from '../crd/progress.ts';
import { rolloutWorkflowId } from '../workflows/ids.ts';
import type { policyRollout, PolicyRolloutInput, RolloutOutcome } from '../workflows/policy-rollout.ts';
import { chainSpanMs, rolloutRuns, type RolloutRun } from './rollout-history.ts';
import { machineCpuSeconds } from './rollout-proc.ts';

/** Where rollouts run. */
export interface RolloutTarget {
  client: Client;
  objects: CustomObjectsApi;
  /** For the watch on the NNCP's conditions. */
  kubeConfig: KubeConfig;
  /** The task queue of the workflow worker (and its cluster activities). */
  queue: string;
}

/** What one rollout measured. */
export interface RolloutFigures {
  outcome: RolloutOutcome | undefined;
  /** Why it did not end normally (failed workflow, or no end before the timeout: then terminated). */
  error?: string;
  /** Why the history could not be read (then `runs` is empty). */
  historyError?: string;
  /** performance.now() at the workflow's start. */
  startedAt: number;
  /** Workflow start → result (Completed, Halted …), ms. */
  wallMs: number;
  /** Workflow start → the NNCP read Available=True for this generation, ms; undefined if never seen. */
  availableMs: number | undefined;
  /** First event of the first run → last event of the last run, on the server's clock, ms. */
  serverSpanMs: number;
  runs: RolloutRun[];
  /** CPU seconds the whole machine used during the rollout. */
  machineCpu: number;
  /** The progress as the workflow last answered it (per-node phases and errors), when it could be read. */
  progress?: RolloutProgress;
}

/** Options of {@link runRollout}. */
export interface RunRolloutOptions {
  /** Give up (and terminate the workflow) after this long. */
  timeoutMs: number;
  /** Print the progress this often (0: never). */
  progressEveryMs?: number;
}

const s2 = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/**
 * gRPC options of the benchmarks' client connection: a page of a long rollout's history can exceed
 * gRPC's default 4 MiB message limit (each status report carries the whole progress).
 */
export const BENCH_CLIENT_CHANNEL_ARGS = { 'grpc.max_receive_message_length': 256 * 1024 * 1024 };

/** Creates NNCP `name` with `spec`; returns its generation and uid. */
export async function createPolicy(objects: CustomObjectsApi, name: string, spec: NncpSpec): Promise<{ generation: number; uid: string }> {
  const body: NodeNetworkConfigurationPolicy = { apiVersion: 'nmstate.io/v1', kind: 'NodeNetworkConfigurationPolicy', metadata: { name }, spec };
  const o = (await objects.createClusterCustomObject({ group: NNCP.group, version: 'v1', plural: NNCP.plural, body })) as NodeNetworkConfigurationPolicy;
  return { generation: o.metadata.generation ?? 1, uid: o.metadata.uid ?? '' };
}

/**
 * Watches the NNCP until it is Available=True for `generation`; resolves with performance.now()
 * then, or undefined once `stop.stopped` (checked at each event and every second). A watch, not a
 * poll: polling every 100 ms read the object from etcd ten times a second, which the benchmark
 * counted as the rollout's kube-apiserver CPU.
 */
function whenAvailable(kc: KubeConfig, name: string, generation: number, stop: { stopped: boolean }): Promise<number | undefined> {
  const isAvailable = (o: NodeNetworkConfigurationPolicy): boolean => {
    const st = o.status as { observedGeneration?: number; conditions?: { type: string; status: string }[] } | undefined;
    return (st?.observedGeneration ?? generation) >= generation && !!st?.conditions?.some((x) => x.type === 'Available' && x.status === 'True');
  };
  return new Promise((resolve) => {
    let request: AbortController | undefined;
    let settled = false;
    const settle = (at: number | undefined): void => {
      if (settled) return;
      settled = true;
      clearInterval(stopCheck);
      request?.abort();
      resolve(at);
    };
    const stopCheck = setInterval(() => stop.stopped && settle(undefined), 1_000);
    const watch = new Watch(kc);
    const start = (): void => {
      if (settled) return;
      watch
        .watch(
          `/apis/${NNCP.group}/v1/${NNCP.plural}`,
          { fieldSelector: `metadata.name=${name}` },
          (_type, o: NodeNetworkConfigurationPolicy) => {
            if (isAvailable(o)) settle(performance.now());
            else if (stop.stopped) settle(undefined);
          },
          // the server ends watches now and then: watch again (the first event is the object as it is)
          () => setTimeout(start, 100),
        )
        .then((r) => {
          request = r;
          if (settled) r.abort();
        })
        .catch(() => setTimeout(start, 500));
    };
    start();
  });
}

/** Creates the policy and runs its rollout to the end (or the timeout). */
export async function runRollout(target: RolloutTarget, name: string, spec: NncpSpec, opts: RunRolloutOptions): Promise<RolloutFigures> {
  const { client, objects, queue } = target;
  const { generation, uid } = await createPolicy(objects, name, spec);
  const input: PolicyRolloutInput = { policy: name, revision: { generation, uid, spec } };
  const stop = { stopped: false };
  const cpu0 = machineCpuSeconds();
  const t0 = performance.now();
  // Under heavy load the server may answer a start with a transient error: try a few times.
  const start = async (attempt = 1): ReturnType<typeof client.workflow.start<typeof policyRollout>> => {
    try {
      return await client.workflow.start<typeof policyRollout>('policyRollout', { taskQueue: queue, workflowId: rolloutWorkflowId(name), args: [input] });
    } catch (err) {
      if (attempt >= 5 || !(err instanceof ServiceError || err instanceof NamespaceNotFoundError)) throw err;
      await new Promise((r) => setTimeout(r, 2_000));
      return start(attempt + 1);
    }
  };
  const handle = await start();
  const available = whenAvailable(target.kubeConfig, name, generation, stop);
  const ticker = opts.progressEveryMs
    ? setInterval(() => {
        void handle
          .query<RolloutProgress>('progress')
          .then((p) => console.log(`  ${name} at ${s2(performance.now() - t0)}: ${p.phase}, ${p.counts.succeeded + p.counts.failed}/${p.counts.matched} done, ${p.counts.inProgress} in flight`))
          .catch(() => undefined);
      }, opts.progressEveryMs)
    : undefined;
  let outcome: RolloutOutcome | undefined;
  let error: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Waiting for the result is a long poll; under load the server may drop one: poll again.
  const result = async (): Promise<RolloutOutcome> => {
    for (;;) {
      try {
        return await handle.result();
      } catch (err) {
        if (!(err instanceof ServiceError) || performance.now() - t0 > opts.timeoutMs) throw err;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  };
  try {
    outcome = await Promise.race([
      result(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no end after ${s2(opts.timeoutMs)}`)), opts.timeoutMs);
      }),
    ]);
  } catch (err) {
    error = err instanceof WorkflowFailedError ? `${err.message}: ${String(err.cause?.message)}` : String(err);
  } finally {
    clearTimeout(timer);
    if (ticker) clearInterval(ticker);
  }
  const wallMs = performance.now() - t0;
  const machineCpu = machineCpuSeconds() - cpu0;
  // The progress of a failed or stuck rollout says which nodes were where, and why.
  const progress = outcome?.phase === 'Completed' ? undefined : await handle.query<RolloutProgress>('progress').catch(() => undefined);
  if (error) await handle.terminate('benchmark gave up').catch(() => undefined);
  const availableAt = await Promise.race([available, new Promise<undefined>((r) => setTimeout(() => r(undefined), error ? 0 : 10_000).unref())]);
  stop.stopped = true;
  let runs: RolloutRun[] = [];
  let historyError: string | undefined;
  try {
    runs = await rolloutRuns(client, handle.workflowId, handle.firstExecutionRunId);
  } catch (err) {
    historyError = String(err);
  }
  const span = chainSpanMs(runs);
  return {
    outcome,
    ...(error ? { error } : {}),
    ...(historyError ? { historyError } : {}),
    startedAt: t0,
    wallMs,
    availableMs: availableAt === undefined ? undefined : availableAt - t0,
    serverSpanMs: span.endMs - span.startMs,
    runs,
    machineCpu,
    ...(progress ? { progress } : {}),
  };
}
