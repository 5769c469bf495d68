/**
 * The node agent process (a DaemonSet pod per node with hostNetwork; or, for simulated clusters, one
 * process hosting many simulated nodes). Composition root only: configuration from the environment
 * (workers/node-agent-config.ts, validated with zod), then the shared process runtime
 * (workers/runtime/: logs, Temporal connection, health endpoint, shutdown), the Kubernetes client and
 * {@link startNodeAgents} (workers/node-agent-host.ts). How to run it by hand against the local
 * cluster: docs/node-agent.md. On SIGTERM/SIGINT it stops
 * polling and gives an in-flight apply `KNMSTATE_SHUTDOWN_DEADLINE_SECONDS` to finish or be undone.
 *
 *   NODE_NAME=worker-1 KNMSTATE_NMSTATE_MODE=kernel TEMPORAL_ADDRESS=127.0.0.1:7233 node workers/node-agent.ts
 *
 * Memory: the agent runs on every node, so it keeps V8's young generation small
 * (`--max-semi-space-size=1`, unless NODE_OPTIONS or the command line set it): it is idle almost all
 * the time, and the default 16 MiB semi-spaces cost ~15-30 MiB of RSS for nothing. The flag is set
 * before the heavy modules (Temporal worker, host) load, hence their dynamic imports (workers/runtime/
 * loads the SDK on first connection).
 */
import { setFlagsFromString } from 'node:v8';
import type { Logger } from 'pino';
import { connectTemporal, onShutdown, runMain, startHealthServer } from './runtime/index.ts';
import { parseNodeAgentEnv, type NodeAgentConfig } from './node-agent-config.ts';
import type { NodeSpec } from './node-agent-host.ts';
import { InvalidConfigurationError } from '../crd/errors.ts';

if (![...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('semi-space-size'))) setFlagsFromString('--max-semi-space-size=1');

async function main(log: Logger, cfg: NodeAgentConfig): Promise<void> {
  const { KubeClient } = await import('../activities/kube/client.ts');
  const { simulatedNodes, startNodeAgents } = await import('./node-agent-host.ts');
  const kube = cfg.kubeconfig ? KubeClient.fromKubeconfigFile(cfg.kubeconfig) : KubeClient.inCluster();
  const connection = await connectTemporal(cfg.temporal, { logger: log });

  const nodes: NodeSpec[] =
    cfg.nodes.kind === 'single'
      ? [{ name: cfg.nodes.name, ...(cfg.nodes.netns ? { netns: cfg.nodes.netns } : {}), ...(cfg.dbusAddress ? { env: { DBUS_SYSTEM_BUS_ADDRESS: cfg.dbusAddress } } : {}) }]
      : await simulatedNodes(kube, cfg.nodes.selector);
  if (!nodes.length) throw new InvalidConfigurationError(`no simulated nodes match ${cfg.nodes.kind === 'simulated' ? (cfg.nodes.selector ?? '*') : ''}`);

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
  const health = cfg.healthPort
    ? await startHealthServer({
        port: cfg.healthPort,
        checks: {
          nodes: () => {
            const h = agents.health();
            return { ok: h.ok, detail: h.nodes };
          },
        },
      })
    : undefined;
  if (health) log.info({ port: cfg.healthPort }, 'health endpoint on /healthz and /readyz');

  onShutdown(() => agents.shutdown(), { deadlineMs: cfg.shutdownDeadlineMs, logger: log, message: 'shutting down: finishing or undoing in-flight applies' });

  await agents.done;
  await agents.shutdown();
  health?.close();
  await connection.close();
  kube.close();
  log.info('node agent stopped');
}

await runMain({ component: 'knmstate-node-agent', load: parseNodeAgentEnv, logLevel: (c) => c.logLevel }, main);
