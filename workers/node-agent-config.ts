/**
 * The node agent's configuration from the environment, validated with zod (pure: reads only the
 * object it is given). Errors name the variable and the rule.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `NODE_NAME` | (required unless `KNMSTATE_SIMULATED_NODES`) | the node this agent serves (Downward API `spec.nodeName`) |
 * | `NODE_NETNS` | | simulation: run the node's commands in this network namespace |
 * | `KNMSTATE_SIMULATED_NODES` | | simulation: serve every Node with the `knmstate.io/netns` annotation matching this label selector (`*`: all) |
 * | `TEMPORAL_*` | | address, namespace, TLS, API key: workers/runtime/temporal-config.ts |
 * | `KUBECONFIG` | | kubeconfig file; in-cluster service account otherwise |
 * | `KNMSTATE_STATE_DIR` | `/var/lib/knmstate` | journal folder |
 * | `KNMSTATE_NMSTATECTL` | `nmstatectl` | nmstatectl binary |
 * | `KNMSTATE_NMSTATE_MODE` | `networkmanager` | `networkmanager` or `kernel` |
 * | `KNMSTATE_PING`, `KNMSTATE_IP` | `ping`, `ip` | |
 * | `PROBE_DNS_HOST` | `root-servers.net` | host the DNS probe resolves (upstream's variable) |
 * | `KNMSTATE_PROBE_TIMEOUT_SECONDS`, `KNMSTATE_PROBE_SELECT_TIMEOUT_SECONDS` | `120`, `5` | each probe's timeout after the change; how long ping and dns may take to pass before it to be selected (crd/probes.ts) |
 * | `KNMSTATE_NNS_PERIOD_SECONDS` | `60` | NodeNetworkState refresh period |
 * | `DBUS_SYSTEM_BUS_ADDRESS` | the system bus | NetworkManager mode: the bus of the node's NetworkManager (required for a simulated node, `NODE_NETNS`, so that nmstatectl never reaches the host's own NetworkManager) |
 * | `KNMSTATE_CHECKPOINT_MARGIN_SECONDS` | `30` | NetworkManager mode: checkpoint timeout T = probe timeout + this (covers the longest apply step under load and the commit) |
 * | `KNMSTATE_DEFAULT_BRIDGE_VLAN` | `auto` | upstream's default VLAN trunk on linux-bridge ports (NetworkManager mode only); `auto`: when the kernel has bridge VLAN filtering |
 * | `KNMSTATE_HEALTH_PORT` | `8080` | `/healthz` and `/readyz`; `0` turns it off |
 * | `KNMSTATE_SHUTDOWN_DEADLINE_SECONDS` | `60` | on SIGTERM, time to finish or undo an in-flight apply (keep it below the pod's terminationGracePeriodSeconds) |
 * | `LOG_LEVEL` | `info` | pino level |
 * | `COMPONENT`, `PART_OF`, `VERSION`, `MANAGED_BY` | | `app.kubernetes.io/*` labels on NodeNetworkState (upstream's) |
 */
import { z } from 'zod';
import { DEFAULT_PROBE_SETTINGS, uniformProbeSettings, type ProbeSettingsInput } from '../crd/probes.ts';
import { ConfigError, issueLines } from './runtime/config-error.ts';
import { LOG_LEVELS } from './runtime/logging.ts';
import { checkTemporalEnv, type TemporalConfig } from './runtime/temporal-config.ts';

export { ConfigError } from './runtime/config-error.ts';
const seconds = (def: number, min = 1) => z.coerce.number().int().min(min).default(def);
const nonEmpty = z.string().trim().min(1);

const envSchema = z
  .object({
    NODE_NAME: nonEmpty.regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes node name (lowercase letters, digits, - and .)').optional(),
    NODE_NETNS: nonEmpty.optional(),
    KNMSTATE_SIMULATED_NODES: nonEmpty.optional(),
    KUBECONFIG: nonEmpty.optional(),
    KNMSTATE_STATE_DIR: nonEmpty.default('/var/lib/knmstate'),
    KNMSTATE_NMSTATECTL: nonEmpty.default('nmstatectl'),
    KNMSTATE_NMSTATE_MODE: z.enum(['networkmanager', 'kernel']).default('networkmanager'),
    KNMSTATE_PING: nonEmpty.default('ping'),
    KNMSTATE_IP: nonEmpty.default('ip'),
    PROBE_DNS_HOST: nonEmpty.default(DEFAULT_PROBE_SETTINGS.dns.host),
    KNMSTATE_PROBE_TIMEOUT_SECONDS: seconds(DEFAULT_PROBE_SETTINGS.dns.timeoutMs / 1000),
    KNMSTATE_PROBE_SELECT_TIMEOUT_SECONDS: seconds(DEFAULT_PROBE_SETTINGS.selectTimeoutMs / 1000, 0),
    KNMSTATE_NNS_PERIOD_SECONDS: seconds(60),
    KNMSTATE_DEFAULT_BRIDGE_VLAN: z
      .enum(['1', '0', 'true', 'false', 'auto'])
      .default('auto')
      .transform((v) => (v === 'auto' ? 'auto' : v === '1' || v === 'true')),
    KNMSTATE_CHECKPOINT_MARGIN_SECONDS: seconds(30),
    DBUS_SYSTEM_BUS_ADDRESS: nonEmpty.optional(),
    KNMSTATE_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    KNMSTATE_SHUTDOWN_DEADLINE_SECONDS: seconds(60, 2),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    COMPONENT: nonEmpty.optional(),
    PART_OF: nonEmpty.optional(),
    VERSION: nonEmpty.optional(),
    MANAGED_BY: nonEmpty.optional(),
  });

/** The validated configuration. */
export interface NodeAgentConfig {
  /** One real (or one simulated) node, or every simulated node matching a selector. */
  nodes: { kind: 'single'; name: string; netns?: string } | { kind: 'simulated'; selector?: string };
  temporal: TemporalConfig;
  kubeconfig?: string;
  stateDir: string;
  nmstatectl: string;
  mode: 'networkmanager' | 'kernel';
  ping: string;
  ip: string;
  probes: ProbeSettingsInput;
  nnsPeriodMs: number;
  nnsLabels: Record<string, string>;
  defaultBridgeVlan: boolean | 'auto';
  checkpointMarginSeconds: number;
  /** NetworkManager's bus, when not the system bus (a simulated node). */
  dbusAddress?: string;
  healthPort: number;
  shutdownDeadlineMs: number;
  logLevel: string;
}

/** Parses and validates the agent's environment. */
export function parseNodeAgentEnv(env: Record<string, string | undefined>): NodeAgentConfig {
  const r = envSchema.safeParse(env);
  const temporal = checkTemporalEnv(env);
  const problems = [...temporal.problems, ...(r.success ? [] : issueLines(r.error.issues))];
  // Rules across variables, checked on the raw values so they are reported with the others.
  const set = (k: string): boolean => !!env[k]?.trim();
  if (!set('NODE_NAME') && !set('KNMSTATE_SIMULATED_NODES')) problems.push('NODE_NAME: is required (or KNMSTATE_SIMULATED_NODES to host simulated nodes)');
  if (set('NODE_NAME') && set('KNMSTATE_SIMULATED_NODES')) problems.push('KNMSTATE_SIMULATED_NODES: cannot be combined with NODE_NAME');
  if (set('NODE_NETNS') && !set('NODE_NAME')) problems.push('NODE_NETNS: needs NODE_NAME');
  if (set('NODE_NETNS') && (env.KNMSTATE_NMSTATE_MODE ?? 'networkmanager') === 'networkmanager' && !set('DBUS_SYSTEM_BUS_ADDRESS')) {
    problems.push("DBUS_SYSTEM_BUS_ADDRESS: is required for a simulated NetworkManager-mode node (NODE_NETNS): unset, nmstatectl would reach the host's own NetworkManager");
  }
  if (!r.success || !temporal.config || problems.length) throw new ConfigError(problems, 'node agent');
  const e = r.data;
  const labels: Record<string, string> = {};
  if (e.COMPONENT) labels['app.kubernetes.io/component'] = e.COMPONENT;
  if (e.PART_OF) labels['app.kubernetes.io/part-of'] = e.PART_OF;
  if (e.VERSION) labels['app.kubernetes.io/version'] = e.VERSION;
  if (e.MANAGED_BY) labels['app.kubernetes.io/managed-by'] = e.MANAGED_BY;
  return {
    nodes: e.NODE_NAME
      ? { kind: 'single', name: e.NODE_NAME, ...(e.NODE_NETNS ? { netns: e.NODE_NETNS } : {}) }
      : { kind: 'simulated', ...(e.KNMSTATE_SIMULATED_NODES && e.KNMSTATE_SIMULATED_NODES !== '*' ? { selector: e.KNMSTATE_SIMULATED_NODES } : {}) },
    temporal: temporal.config,
    ...(e.KUBECONFIG ? { kubeconfig: e.KUBECONFIG } : {}),
    stateDir: e.KNMSTATE_STATE_DIR,
    nmstatectl: e.KNMSTATE_NMSTATECTL,
    mode: e.KNMSTATE_NMSTATE_MODE,
    ping: e.KNMSTATE_PING,
    ip: e.KNMSTATE_IP,
    probes: uniformProbeSettings({ dnsHost: e.PROBE_DNS_HOST, timeoutMs: e.KNMSTATE_PROBE_TIMEOUT_SECONDS * 1000, selectTimeoutMs: e.KNMSTATE_PROBE_SELECT_TIMEOUT_SECONDS * 1000 }),
    nnsPeriodMs: e.KNMSTATE_NNS_PERIOD_SECONDS * 1000,
    nnsLabels: labels,
    defaultBridgeVlan: e.KNMSTATE_DEFAULT_BRIDGE_VLAN,
    checkpointMarginSeconds: e.KNMSTATE_CHECKPOINT_MARGIN_SECONDS,
    ...(e.DBUS_SYSTEM_BUS_ADDRESS ? { dbusAddress: e.DBUS_SYSTEM_BUS_ADDRESS } : {}),
    healthPort: e.KNMSTATE_HEALTH_PORT,
    shutdownDeadlineMs: e.KNMSTATE_SHUTDOWN_DEADLINE_SECONDS * 1000,
    logLevel: e.LOG_LEVEL,
  };
}
