/**
 * The node agent host: serves one node (a real node: NODE_NAME, nmstatectl run directly) or many
 * simulated nodes in one process (one Worker per node queue on one shared NativeConnection; every
 * nmstatectl / ping / DNS command of node X runs under `ip netns exec <netns of X>`). Tests, the demo
 * and benchmarks call {@link startNodeAgents} in-process; workers/node-agent.ts is the thin
 * composition root over it.
 *
 * Per node it takes the journal lock, finishes or undoes a half-done attempt left by a crash (before
 * the worker polls), starts the NodeNetworkState reporter and a Worker on `knmstate.node.<node>` with
 * one activity poller (`activityTaskPollerBehavior`, since `maxConcurrentActivityTaskPolls` is ignored
 * by SDK 1.24.0; with the SDK's default 10, 1000 node queues exhaust the server's poller limit).
 *
 * Simulation limit: a simulated node's agent runs in the host namespace and enters the node's
 * namespace per command; its API-server probe therefore tests the host's path to the API server.
 */
import { hostname } from 'node:os';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { KubeClient } from '../activities/kube/client.ts';
import type { Logger } from 'pino';
import { nodeTaskQueue } from '../workflows/task-queues.ts';
import { hostExec, netnsExec } from '../activities/nmstate/exec.ts';
import { NmstateDriver } from '../activities/nmstate/driver.ts';
import type { NmstateMode } from '../activities/nmstate/types.ts';
import { Journal } from '../activities/node/journal.ts';
import { NodeAgent } from '../activities/node/agent.ts';
import type { ProbeSettingsInput } from '../crd/probes.ts';
import { NnsReporter, watchNodeNetworkStates } from '../activities/nns/reporter.ts';
import { networkManagerVersion } from '../activities/nns/network-manager-version.ts';
import { listSimulatedNodes } from '../activities/kube/nodes.ts';
import { InvalidConfigurationError } from '../crd/errors.ts';

/** One node to serve. */
export interface NodeSpec {
  name: string;
  /** Network namespace of a simulated node; commands run inside it. Absent for a real node. */
  netns?: string;
  /** Extra environment for the node's commands (e.g. DBUS_SYSTEM_BUS_ADDRESS of its NetworkManager). */
  env?: Record<string, string>;
  /** This node's backend, when it differs from the host's `mode` (simulated clusters may mix them). */
  mode?: NmstateMode;
}

/** Options of {@link startNodeAgents}. */
export interface StartNodeAgentsOptions {
  connection: NativeConnection;
  /** Temporal namespace. @default 'default' */
  namespace?: string;
  /** Kubernetes API access (probes, NodeNetworkState). */
  kube: KubeClient;
  nodes: NodeSpec[];
  /** Path of nmstatectl (benchmarks point it at bench/nmstatectl-stub). */
  nmstatectl: string;
  mode: NmstateMode;
  /** Journal folder (per node: `<stateDir>/nodes/<node>/`). */
  stateDir: string;
  /** @default 'ping' */
  ping?: string;
  /** @default 'ip' */
  ip?: string;
  /** Probe defaults (per-apply `probes` input overrides them). */
  probes?: ProbeSettingsInput;
  /**
   * NetworkManager mode: seconds added to the probe timeout to make the checkpoint timeout of each
   * apply (T = probe timeout + margin; activities/node/agent.ts `checkpointTimeoutSeconds`). @default 30
   */
  checkpointMarginSeconds?: number;
  /**
   * Upstream's default VLAN trunk (2-4094) on linux-bridge ports without `vlan` (NetworkManager-mode
   * nodes only: kernel mode cannot apply it). @default 'auto': on when the node's kernel has bridge VLAN filtering
   */
  defaultBridgeVlan?: boolean | 'auto';
  nns?: {
    /** @default true */
    enabled?: boolean;
    /** @default 60_000 */
    periodMs?: number;
    /** @default true: one watch per process for deleted NNS objects and the force-refresh label */
    watch?: boolean;
    labels?: Record<string, string>;
  };
  /**
   * On shutdown, an in-flight apply may finish for this long; then it is cancelled and puts the node
   * back. @default 30_000
   */
  shutdownGraceMs?: number;
  /** After the grace time, this long more for the undo before the worker gives up. @default 30_000 */
  shutdownUndoMs?: number;
  /**
   * Activities one node worker runs at once. Mutations are serialised inside the agent (an apply
   * waiting for the node heartbeats as `queued`), so applies of many policies wait there rather than
   * in the task queue: the rollout's start timeout then tells a dead agent from a busy node. @default 64
   */
  maxConcurrentActivities?: number;
  logger?: Logger;
}

/** One served node. */
export interface ServedNode {
  spec: NodeSpec;
  agent: NodeAgent;
  reporter: NnsReporter | undefined;
  worker: Worker;
}

/** The running agents of one process. */
export interface NodeAgents {
  readonly nodes: ServedNode[];
  /** The served node called `name`. */
  node(name: string): ServedNode;
  /** Resolves when every worker has stopped; rejects with the first worker failure. */
  readonly done: Promise<void>;
  /** Stops polling, lets in-flight applies finish (or undoes them), stops the reporters; idempotent. */
  shutdown(): Promise<void>;
  /** Per-node worker state; ok when all are RUNNING. */
  health(): { ok: boolean; nodes: Record<string, string> };
}

/**
 * Starts the agents of `opts.nodes` and returns once every worker is polling. On a start-up failure
 * the agents already started are stopped and the error is rethrown.
 */
export async function startNodeAgents(opts: StartNodeAgentsOptions): Promise<NodeAgents> {
  if (!opts.nodes.length) throw new InvalidConfigurationError('startNodeAgents: no nodes to serve');
  const names = new Set<string>();
  for (const n of opts.nodes) {
    if (names.has(n.name)) throw new InvalidConfigurationError(`startNodeAgents: node ${n.name} listed twice`);
    names.add(n.name);
  }
  const log = opts.logger;
  const graceMs = opts.shutdownGraceMs ?? 30_000;
  const served: ServedNode[] = [];
  const journals: Journal[] = [];
  const reporters = new Map<string, NnsReporter>();
  const nnsOn = opts.nns?.enabled ?? true;

  const startOne = async (spec: NodeSpec): Promise<ServedNode> => {
    const mode = spec.mode ?? opts.mode;
    // Unset, nmstatectl would talk to the host's own NetworkManager instead of the simulated node's.
    if (spec.netns && mode === 'networkmanager' && !spec.env?.DBUS_SYSTEM_BUS_ADDRESS) {
      throw new InvalidConfigurationError(`node ${spec.name}: a simulated NetworkManager-mode node (netns ${spec.netns}) needs DBUS_SYSTEM_BUS_ADDRESS of its own NetworkManager`);
    }
    const exec = spec.netns ? netnsExec(spec.netns, { ipBin: opts.ip ?? 'ip', ...(spec.env ? { env: spec.env } : {}) }) : hostExec(spec.env ? { env: spec.env } : {});
    const driver = new NmstateDriver({ exec, binary: opts.nmstatectl, mode });
    const journal = new Journal(opts.stateDir, spec.name);
    await journal.lock();
    journals.push(journal);
    // No child logger with `node`: the agent and the reporter put `node` on each of their lines
    // themselves, and pino would print the key twice.
    const reporter = nnsOn
      ? new NnsReporter({
          node: spec.name,
          kube: opts.kube,
          driver,
          ...(opts.nns?.periodMs ? { periodMs: opts.nns.periodMs } : {}),
          ...(opts.nns?.labels ? { labels: opts.nns.labels } : {}),
          ...(mode === 'networkmanager' ? { networkManagerVersion: networkManagerVersion(exec) } : {}),
          ...(log ? { logger: log } : {}),
        })
      : undefined;
    if (reporter) reporters.set(spec.name, reporter);
    const agent = new NodeAgent({
      node: spec.name,
      driver,
      journal,
      kube: opts.kube,
      pingBin: opts.ping ?? 'ping',
      ipBin: opts.ip ?? 'ip',
      ...(opts.probes ? { probes: opts.probes } : {}),
      ...(opts.defaultBridgeVlan !== undefined ? { defaultBridgeVlan: opts.defaultBridgeVlan } : {}),
      ...(opts.checkpointMarginSeconds !== undefined ? { checkpointMarginSeconds: opts.checkpointMarginSeconds } : {}),
      ...(log ? { logger: log } : {}),
      ...(reporter ? { onStateChanged: (reason: string) => reporter.refresh(reason) } : {}),
    });
    // Before polling: a crash may have left an attempt half-done.
    try {
      const rec = await agent.recover();
      if (rec) log?.warn({ node: spec.name, recovery: rec }, 'finished or undid a half-done attempt at start-up');
    } catch (err) {
      log?.error({ node: spec.name, err: err instanceof Error ? err.message : err }, 'could not put the node back at start-up; applies will fail until it can');
    }
    reporter?.start();
    const worker = await Worker.create({
      connection: opts.connection,
      namespace: opts.namespace ?? 'default',
      taskQueue: nodeTaskQueue(spec.name),
      activities: agent.activities(),
      identity: `${spec.name}@${hostname()}/${process.pid}`,
      activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 1 },
      maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities ?? 64,
      shutdownGraceTime: graceMs,
      shutdownForceTime: graceMs + (opts.shutdownUndoMs ?? 30_000),
    });
    return { spec, agent, reporter, worker };
  };

  let stopWatch: (() => void) | undefined;
  const runs: Promise<void>[] = [];
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      stopWatch?.();
      for (const s of served) if (s.worker.getState() === 'RUNNING') s.worker.shutdown();
      await Promise.allSettled(runs);
      await Promise.all([...reporters.values()].map((r) => r.stop()));
      await Promise.all(journals.map((j) => j.unlock()));
      log?.info({ nodes: served.length }, 'node agents stopped');
    })();
    return shuttingDown;
  };

  try {
    // A few at a time: each start runs nmstatectl (recovery) and registers a worker.
    const queue = [...opts.nodes];
    const lanes = Math.min(8, queue.length);
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let spec = queue.shift(); spec; spec = queue.shift()) served.push(await startOne(spec));
      }),
    );
  } catch (err) {
    // Workers that were created but never run must still be run and shut down to release the connection.
    for (const s of served) {
      runs.push(s.worker.run());
    }
    await shutdown();
    throw err;
  }
  for (const s of served) runs.push(s.worker.run());
  if (nnsOn && (opts.nns?.watch ?? true)) stopWatch = watchNodeNetworkStates(opts.kube, reporters, log);
  log?.info({ nodes: served.map((s) => s.spec.name), mode: opts.mode }, 'node agents polling');
  const byName = new Map(served.map((s) => [s.spec.name, s]));
  return {
    nodes: served,
    node(name) {
      const s = byName.get(name);
      if (!s) throw new Error(`node agent for ${name} is not running here`);
      return s;
    },
    done: Promise.all(runs).then(() => undefined),
    shutdown,
    health() {
      const nodes = Object.fromEntries(served.map((s) => [s.spec.name, s.worker.getState()]));
      return { ok: Object.values(nodes).every((st) => st === 'RUNNING'), nodes };
    },
  };
}

/**
 * The simulated nodes among the cluster's Nodes (activities/kube/nodes.ts), optionally by label
 * selector, as node specs: each one's network namespace, backend and, in NetworkManager mode, its bus.
 */
export async function simulatedNodes(kube: KubeClient, labelSelector?: string): Promise<NodeSpec[]> {
  return (await listSimulatedNodes(kube, labelSelector)).map((n) => ({
    name: n.name,
    netns: n.netns,
    ...(n.mode ? { mode: n.mode } : {}),
    // NODE_NAME as a DaemonSet pod has it, for the node's commands (a stub nmstatectl logs it).
    env: { NODE_NAME: n.name, ...(n.dbusAddress ? { DBUS_SYSTEM_BUS_ADDRESS: n.dbusAddress } : {}) },
  }));
}
