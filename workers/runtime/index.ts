/**
 * What every knmstate process (node agent, controller, CLI) shares to start, run and stop: the
 * Temporal settings from the environment, the connection and SDK Runtime, logs, a health endpoint,
 * graceful shutdown and the entry-point frame. Light to import: the Temporal SDK loads on first
 * connection.
 *
 *   await runMain({ component: 'knmstate-controller', load: loadControllerConfig, logLevel: (c) => c.logLevel }, async (log, cfg) => {
 *     const connection = await connectTemporal(cfg.temporal, { logger: log });
 *     const worker = await Worker.create({ connection, namespace: cfg.temporal.namespace, … });
 *     const health = await startHealthServer({ port: cfg.healthPort, checks: { worker: () => ({ ok: worker.getState() === 'RUNNING', detail: worker.getState() }) } });
 *     onShutdown(() => worker.shutdown(), { deadlineMs: 30_000, logger: log });
 *     await worker.run();
 *     health.close();
 *     await connection.close();
 *   });
 */
export { ConfigError, issueLines } from './config-error.ts';
export { checkTemporalEnv, loadTemporalConfig, temporalEnvShape, type TemporalConfig, type TemporalTlsFiles } from './temporal-config.ts';
export { connectTemporal, connectTemporalClient, installTemporalRuntime, temporalTls, type ConnectOptions } from './connect.ts';
export { createLogger, LOG_LEVELS, sdkLogFunction } from './logging.ts';
export { startHealthServer, type HealthCheck, type HealthReport, type HealthServerOptions } from './health.ts';
export { onShutdown, type ShutdownOptions } from './shutdown.ts';
export { runMain, type MainOptions } from './main.ts';
