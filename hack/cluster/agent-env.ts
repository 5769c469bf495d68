/**
 * The environment of a node agent process (workers/node-agent.ts) run against a local cluster: the
 * one place that knows which variables it needs (the variables themselves: workers/node-agent-config.ts).
 * The agent-process tests and the agent benchmark spawn it with this.
 */
import type { ClusterInfo } from './cluster.ts';
import type { SimNode } from './nodes.ts';
import type { Tools } from './tools.ts';

/** What {@link agentProcessEnv} needs. */
export interface AgentProcessEnvOptions {
  info: ClusterInfo;
  tools: Pick<Tools, 'nmstatectl' | 'ping'>;
  /** The journal folder. */
  stateDir: string;
  /** The one node the agent serves (NODE_NAME, NODE_NETNS and, NetworkManager mode, its bus); absent: none set. */
  node?: SimNode;
  /** @default the node's mode, else kernel */
  mode?: 'kernel' | 'networkmanager';
}

/**
 * The variables to start a node agent with: a minimal PATH/HOME, the cluster's Temporal and
 * kubeconfig, the harness's nmstatectl and ping, the simulated fabric's DNS name for the DNS probe,
 * and a health port chosen by the system. Spread more variables over it to override.
 */
export function agentProcessEnv(o: AgentProcessEnvOptions): Record<string, string> {
  const n = o.node;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    ...(n ? { NODE_NAME: n.name, NODE_NETNS: n.netns } : {}),
    ...(n?.dbusAddress ? { DBUS_SYSTEM_BUS_ADDRESS: n.dbusAddress } : {}),
    KNMSTATE_NMSTATE_MODE: o.mode ?? n?.mode ?? 'kernel',
    KNMSTATE_NMSTATECTL: o.tools.nmstatectl,
    KNMSTATE_PING: o.tools.ping,
    KNMSTATE_STATE_DIR: o.stateDir,
    TEMPORAL_ADDRESS: o.info.temporal.address,
    TEMPORAL_NAMESPACE: o.info.temporal.namespace,
    KUBECONFIG: o.info.kube.kubeconfig,
    KNMSTATE_HEALTH_PORT: '0',
    PROBE_DNS_HOST: 'gateway.knmstate.test',
  };
}
