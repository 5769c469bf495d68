/**
 * The controller, assembled: the rollout workflow worker with the cluster activities on the
 * controller's task queue, and the reconciler (informers → work queue → Temporal). Used by the
 * process (workers/controller.ts) and by tests, which run one or two of them on a queue of their own.
 *
 * Temporal unreachable: at start the worker's connection is retried with back-off while the
 * reconciler already runs (its calls fail and are retried, 1 s up to 30 s); a worker whose run fails
 * is re-created the same way. Readiness says so meanwhile.
 */
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createClusterActivities } from '../../activities/cluster/index.ts';
import { reuseConnections } from '../../activities/cluster/connection-pool.ts';
import type { RolloutOptions } from '../../workflows/rollout-options.ts';
import type { HealthReport } from '../runtime/health.ts';
import { sdkLogFunction } from '../runtime/logging.ts';
import { backoffMs } from './keyed-queue.ts';
import { startControllerMetrics, type ControllerMetrics } from './metrics.ts';
import { Reconciler } from './reconciler.ts';
import { Rollouts } from './rollouts.ts';

/** What {@link startController} needs. */
export interface ControllerOptions {
  kubeConfig: KubeConfig;
  /** A Client for signals, starts and queries (a lazy connection is fine). */
  client: Client;
  /** Opens the worker's connection; retried with back-off until it succeeds. */
  connect: () => Promise<NativeConnection>;
  namespace: string;
  taskQueue: string;
  rolloutOptions?: RolloutOptions;
  concurrency?: number;
  /** Label selector of the NNCPs to handle; absent: all (see ReconcilerOptions.policySelector). */
  policySelector?: string;
  logger: Logger;
  /** See ReconcilerOptions.openRunCheckMs. */
  openRunCheckMs?: number;
  /** How long a readiness probe of Temporal may take. @default 2000 */
  probeTimeoutMs?: number;
  /** Serve Prometheus metrics on this port (0: a free one); absent: no metrics (./metrics.ts). */
  metricsPort?: number;
}

/** A running controller. */
export interface Controller {
  reconciler: Reconciler;
  /** The metrics endpoint, when asked for. */
  metrics?: ControllerMetrics;
  /** The worker, once it runs. */
  worker(): Worker | undefined;
  /** Liveness: the process works (informers restart by themselves). */
  liveness(): HealthReport;
  /** Readiness: caches synced, informers healthy, worker running, Temporal answering. */
  readiness(): Promise<HealthReport>;
  /** Stops the reconciler, then lets the worker finish its tasks; resolves when both stopped. */
  stop(): Promise<void>;
}

const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/**
 * The rollout workflows bundled once per process (seconds of webpack), for every worker it creates.
 * The bundler logs through `log` (warnings only: its webpack report is no log line).
 */
function workflowBundle(log: Logger): Promise<WorkflowBundleWithSourceMap> {
  if (!bundle) {
    bundle = import('@temporalio/worker').then(({ bundleWorkflowCode, DefaultLogger }) => bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN', sdkLogFunction(log)) }));
    bundle.catch(() => (bundle = undefined));
  }
  return bundle;
}

/** Starts the worker (in the background, retrying) and the reconciler. */
export async function startController(o: ControllerOptions): Promise<Controller> {
  const log = o.logger;
  const { Worker } = await import('@temporalio/worker');
  // one connection pool for the informers' lists, the reconciler and the status writes
  reuseConnections(o.kubeConfig);
  const cluster = createClusterActivities({ kubeConfig: o.kubeConfig, logger: log });
  const rollouts = new Rollouts(o.client, o.taskQueue, o.rolloutOptions);
  const reconciler = new Reconciler({ kubeConfig: o.kubeConfig, rollouts, cluster, logger: log, ...(o.concurrency ? { concurrency: o.concurrency } : {}), ...(o.policySelector ? { policySelector: o.policySelector } : {}),
    ...(o.openRunCheckMs ? { openRunCheckMs: o.openRunCheckMs } : {}),
  });

  let stopping = false;
  let worker: Worker | undefined;
  let connection: NativeConnection | undefined;
  let wake: (() => void) | undefined;
  const pause = (ms: number): Promise<void> =>
    new Promise((r) => {
      const t = setTimeout(r, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });

  /** Keeps one worker running until stop: connect, create, run; on failure, back off and again. */
  const workerLoop = (async () => {
    for (let failures = 0; !stopping; ) {
      try {
        const code = await workflowBundle(log);
        connection ??= await o.connect();
        if (stopping) break;
        worker = await Worker.create({ connection, namespace: o.namespace, taskQueue: o.taskQueue, workflowBundle: code, activities: cluster });
        if (stopping) break;
        log.info({ taskQueue: o.taskQueue }, 'rollout worker running');
        failures = 0;
        await worker.run();
        if (!stopping) throw new Error('worker stopped');
      } catch (err) {
        if (stopping) break;
        const delay = backoffMs(++failures, 1_000, 30_000);
        log.warn({ err: err instanceof Error ? err.message : String(err), retryInMs: delay }, 'rollout worker unavailable (Temporal unreachable?); retrying');
        worker = undefined;
        await connection?.close().catch(() => undefined);
        connection = undefined;
        await pause(delay);
      }
    }
  })();

  // Before the reconciler's first list, so that node completions already in the statuses are not counted.
  const metrics = o.metricsPort !== undefined ? await startControllerMetrics({ reconciler, kubeConfig: o.kubeConfig, logger: log, port: o.metricsPort }) : undefined;
  await reconciler.start();

  return {
    reconciler,
    ...(metrics ? { metrics } : {}),
    worker: () => worker,
    liveness: () => ({ ok: true }),
    async readiness() {
      const r = reconciler.health();
      const w = worker?.getState() ?? 'NOT_CONNECTED';
      let temporal: string;
      try {
        await o.client.connection.withDeadline(Date.now() + (o.probeTimeoutMs ?? 2_000), () => o.client.workflowService.getSystemInfo({}));
        temporal = 'ok';
      } catch (err) {
        temporal = err instanceof Error ? err.message : String(err);
      }
      return { ok: r.ok && w === 'RUNNING' && temporal === 'ok', detail: { reconciler: { started: r.started, informers: r.informers, queued: reconciler.queue.size }, worker: w, temporal } };
    },
    async stop() {
      stopping = true;
      await reconciler.stop();
      wake?.();
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await workerLoop;
      await metrics?.stop();
      await connection?.close().catch(() => undefined);
    },
  };
}
