/**
 * The node agent process (a DaemonSet pod per node with hostNetwork; or, for simulated clusters, one
 * process hosting many simulated nodes). Composition root only: configuration from the environment
 * (workers/node-agent-config.ts, validated with zod), JSON logs (pino), the Temporal connection, the
 * Kubernetes client, then {@link startNodeAgents} and a health endpoint. On SIGTERM/SIGINT it stops
 * polling and gives an in-flight apply `KNMSTATE_SHUTDOWN_DEADLINE_SECONDS` to finish or be undone.
 *
 *   NODE_NAME=worker-1 KNMSTATE_NMSTATE_MODE=kernel TEMPORAL_ADDRESS=127.0.0.1:7233 node workers/node-agent.ts
 *
 * Memory: the agent runs on every node, so it keeps V8's young generation small
 * (`--max-semi-space-size=1`, unless NODE_OPTIONS or the command line set it): it is idle almost all
 * the time, and the default 16 MiB semi-spaces cost ~15-30 MiB of RSS for nothing. The flag is set
 * before the heavy modules (Temporal worker, host) load, hence their dynamic imports below.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { pino, type Logger } from 'pino';
import type { LogLevel, TLSConfig } from '@temporalio/worker';
import { ConfigError, parseNodeAgentEnv, type NodeAgentConfig } from './node-agent-config.ts';
import type { NodeSpec } from './node-agent-host.ts';

if (![...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('semi-space-size'))) setFlagsFromString('--max-semi-space-size=1');

function temporalTls(cfg: NodeAgentConfig['temporal']['tls']): boolean | TLSConfig {
  if (typeof cfg === 'boolean') return cfg;
  return {
    ...(cfg.serverNameOverride ? { serverNameOverride: cfg.serverNameOverride } : {}),
    ...(cfg.serverRootCACertificatePath ? { serverRootCACertificate: readFileSync(cfg.serverRootCACertificatePath) } : {}),
    ...(cfg.clientCertPath && cfg.clientKeyPath ? { clientCertPair: { crt: readFileSync(cfg.clientCertPath), key: readFileSync(cfg.clientKeyPath) } } : {}),
  };
}

async function main(log: Logger, cfg: NodeAgentConfig): Promise<void> {
  const { DefaultLogger, NativeConnection, Runtime } = await import('@temporalio/worker');
  const { KubeClient } = await import('../activities/kube/client.ts');
  const { simulatedNodes, startHealthServer, startNodeAgents } = await import('./node-agent-host.ts');
  // The SDK's own logs go through pino too; signals are handled here, not by the Runtime.
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('WARN', (e) => log[levels[e.level]]({ sdk: true, ...e.meta }, e.message)),
  });

  const kube = cfg.kubeconfig ? KubeClient.fromKubeconfigFile(cfg.kubeconfig) : KubeClient.inCluster();

  const connection = await NativeConnection.connect({
    address: cfg.temporal.address,
    tls: temporalTls(cfg.temporal.tls),
    ...(cfg.temporal.apiKey ? { apiKey: cfg.temporal.apiKey } : {}),
  });

  const nodes: NodeSpec[] =
    cfg.nodes.kind === 'single'
      ? [{ name: cfg.nodes.name, ...(cfg.nodes.netns ? { netns: cfg.nodes.netns } : {}), ...(cfg.dbusAddress ? { env: { DBUS_SYSTEM_BUS_ADDRESS: cfg.dbusAddress } } : {}) }]
      : await simulatedNodes(kube, cfg.nodes.selector);
  if (!nodes.length) throw new Error(`no simulated nodes match ${cfg.nodes.kind === 'simulated' ? (cfg.nodes.selector ?? '*') : ''}`);

  // Half the deadline (at most 20 s) is kept for undoing an apply that did not finish in the rest.
  const undoMs = Math.min(20_000, Math.floor(cfg.shutdownDeadlineMs / 2));
  const agents = await startNodeAgents({
    connection,
    namespace: cfg.temporal.namespace,
    kube,
    nodes,
    nmstatectl: cfg.nmstatectl,
    mode: cfg.mode,
    stateDir: cfg.stateDir,
    ping: cfg.ping,
    ip: cfg.ip,
    probes: cfg.probes,
    defaultBridgeVlan: cfg.defaultBridgeVlan,
    checkpointMarginSeconds: cfg.checkpointMarginSeconds,
    nns: { periodMs: cfg.nnsPeriodMs, labels: cfg.nnsLabels },
    shutdownGraceMs: cfg.shutdownDeadlineMs - undoMs,
    shutdownUndoMs: undoMs,
    logger: log,
  });
  const health = cfg.healthPort ? await startHealthServer(agents, cfg.healthPort) : undefined;
  if (health) log.info({ port: cfg.healthPort }, 'health endpoint on /healthz and /readyz');

  // Handlers stay installed (not `once`): execa's exit hook re-raises a signal when it sees no other
  // listener, which would kill the agent in the middle of undoing an apply.
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    log.info({ signal, deadlineMs: cfg.shutdownDeadlineMs }, 'shutting down: finishing or undoing in-flight applies');
    setTimeout(() => {
      log.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, cfg.shutdownDeadlineMs + 5_000).unref();
    void agents.shutdown();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  await agents.done;
  await agents.shutdown();
  health?.close();
  await connection.close();
  kube.close();
  log.info('node agent stopped');
}

let log: Logger = pino({ base: { component: 'knmstate-node-agent' } });
try {
  const cfg = parseNodeAgentEnv(process.env);
  log = pino({ level: cfg.logLevel, base: { component: 'knmstate-node-agent' } });
  await main(log, cfg);
} catch (err) {
  if (err instanceof ConfigError) {
    log.fatal({ problems: err.problems }, err.message);
    process.exitCode = 2;
  } else {
    log.fatal({ err }, 'node agent failed');
    process.exitCode = 1;
  }
  // Open handles (connections, timers) must not keep a failed agent alive.
  setTimeout(() => process.exit(), 1_000).unref();
}
