/**
 * The rollout controller process: one per cluster (a second replica doubles nothing, see
 * docs/controller.md). Composition root only: configuration from the environment
 * (workers/controller/config.ts), the shared process runtime (workers/runtime/: logs, Temporal
 * connection, health endpoint, shutdown), then {@link startController}: the rollout workflow worker
 * with the cluster activities, and the informers that turn `kubectl apply`, `delete` and node label
 * changes into rollouts.
 *
 *   KUBECONFIG=… TEMPORAL_ADDRESS=127.0.0.1:7233 node workers/controller.ts
 *
 * Temporal unreachable: the process keeps running, `/readyz` answers 503, and everything is retried.
 * Prometheus metrics on `KNMSTATE_METRICS_PORT` (workers/controller/metrics.ts).
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { parseControllerEnv, type ControllerConfig } from './controller/config.ts';
import { connectTemporal, installTemporalRuntime, onShutdown, runMain, startHealthServer, temporalTls } from './runtime/index.ts';

async function main(log: Logger, cfg: ControllerConfig): Promise<void> {
  const { Client, Connection } = await import('@temporalio/client');
  const { startController } = await import('./controller/controller.ts');
  await installTemporalRuntime(log);
  const kubeConfig = new KubeConfig();
  if (cfg.kubeconfig) kubeConfig.loadFromFile(cfg.kubeconfig);
  else kubeConfig.loadFromCluster();
  // Lazy: connects on first use, so an unreachable Temporal does not stop the process from starting.
  const connection = Connection.lazy({ address: cfg.temporal.address, tls: temporalTls(cfg.temporal.tls), ...(cfg.temporal.apiKey ? { apiKey: cfg.temporal.apiKey } : {}) });
  const client = new Client({ connection, namespace: cfg.temporal.namespace });

  const controller = await startController({
    kubeConfig,
    client,
    connect: () => connectTemporal(cfg.temporal),
    namespace: cfg.temporal.namespace,
    taskQueue: cfg.taskQueue,
    rolloutOptions: cfg.rolloutOptions,
    concurrency: cfg.concurrency,
    ...(cfg.policySelector ? { policySelector: cfg.policySelector } : {}),
    ...(cfg.metricsPort ? { metricsPort: cfg.metricsPort } : {}),
    logger: log,
  });
  const health = cfg.healthPort ? await startHealthServer({ port: cfg.healthPort, checks: { process: () => controller.liveness() }, readinessChecks: { controller: () => controller.readiness() } }) : undefined;
  if (health) log.info({ port: cfg.healthPort }, 'health endpoint on /healthz and /readyz');

  let done!: () => void;
  const stopped = new Promise<void>((r) => (done = r));
  onShutdown(
    async () => {
      await controller.stop();
      done();
    },
    { deadlineMs: cfg.shutdownDeadlineMs, logger: log, message: 'shutting down: informers stop, the worker finishes its tasks' },
  );
  await stopped;
  health?.close();
  await connection.close();
  log.info('controller stopped');
}

await runMain({ component: 'knmstate-controller', load: parseControllerEnv, logLevel: (c) => c.logLevel }, main);
