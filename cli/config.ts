/**
 * The CLI's configuration, like kubectl's: the cluster from `--kubeconfig` / `KUBECONFIG` /
 * `~/.kube/config` and `--context`; Temporal from flags or the same environment variables every
 * knmstate process reads (the node agent's and the controller's: `TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS`, `TEMPORAL_TLS_*`); a flag wins over its
 * variable. Pure: reads only the objects it is given; problems name the flag and the variable.
 */
import { CLUSTER_TASK_QUEUE } from '../workflows/task-queues.ts';

/** The global flags, as commander parsed them. */
export interface GlobalFlags {
  kubeconfig?: string;
  context?: string;
  address?: string;
  namespace?: string;
  apiKey?: string;
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsServerName?: string;
  color?: boolean;
  debug?: boolean;
}

/** TLS material by file path. */
export interface TlsFiles {
  serverRootCACertificatePath?: string;
  clientCertPath?: string;
  clientKeyPath?: string;
  serverNameOverride?: string;
}

/** Where and how to reach Temporal. */
export interface TemporalSettings {
  address: string;
  namespace: string;
  apiKey?: string;
  /** `false`, `true` (system roots) or explicit material. */
  tls: boolean | TlsFiles;
  /** Which flag or variable gave the address (for error messages). */
  addressFrom: string;
}

/** Where to reach the Kubernetes API. */
export interface KubeSettings {
  /** A kubeconfig path; absent: KUBECONFIG or ~/.kube/config (client-node's default loading). */
  kubeconfig?: string;
  context?: string;
}

/** Everything a command may need. */
export interface CliConfig {
  temporal: TemporalSettings;
  kube: KubeSettings;
}

/** The Temporal address when nothing sets one. */
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

/** Variable that overrides the controller's task queue (`plan --task-queue`). */
export const TASK_QUEUE_ENV = 'KNMSTATE_TASK_QUEUE';

const HOST_PORT = /^[^\s:]+:\d+$|^\[[0-9a-fA-F:.]+\]:\d+$/;

const pick = (flag: string | undefined, env: string | undefined): string | undefined => {
  const f = flag?.trim();
  if (f) return f;
  const e = env?.trim();
  return e ? e : undefined;
};

/**
 * Resolves the configuration from flags and environment. Returns the config, or every problem as
 * `--flag / VARIABLE: rule`.
 */
export function resolveConfig(flags: GlobalFlags, env: Record<string, string | undefined>): { config: CliConfig; problems: [] } | { config?: undefined; problems: string[] } {
  const problems: string[] = [];
  const address = pick(flags.address, env.TEMPORAL_ADDRESS) ?? DEFAULT_TEMPORAL_ADDRESS;
  const addressFrom = flags.address?.trim() ? '--address' : env.TEMPORAL_ADDRESS?.trim() ? 'TEMPORAL_ADDRESS' : 'the default';
  if (!HOST_PORT.test(address)) problems.push(`--address / TEMPORAL_ADDRESS: must be host:port, got ${JSON.stringify(address)}`);
  const namespace = pick(flags.namespace, env.TEMPORAL_NAMESPACE) ?? 'default';
  const apiKey = pick(flags.apiKey, env.TEMPORAL_API_KEY);
  const tlsEnv = env.TEMPORAL_TLS?.trim() ?? '';
  if (!['', '0', '1', 'true', 'false'].includes(tlsEnv)) problems.push(`TEMPORAL_TLS: must be 1, 0, true or false, got ${JSON.stringify(tlsEnv)}`);
  const ca = pick(flags.tlsCa, env.TEMPORAL_TLS_SERVER_CA_CERT_PATH);
  const cert = pick(flags.tlsCert, env.TEMPORAL_TLS_CLIENT_CERT_PATH);
  const key = pick(flags.tlsKey, env.TEMPORAL_TLS_CLIENT_KEY_PATH);
  const serverName = pick(flags.tlsServerName, env.TEMPORAL_TLS_SERVER_NAME);
  if (!!cert !== !!key) problems.push(`${cert ? '--tls-key / TEMPORAL_TLS_CLIENT_KEY_PATH' : '--tls-cert / TEMPORAL_TLS_CLIENT_CERT_PATH'}: a client certificate and its key go together`);
  if (problems.length) return { problems };
  const files = ca || cert || serverName;
  const tls: TemporalSettings['tls'] = files
    ? {
        ...(ca ? { serverRootCACertificatePath: ca } : {}),
        ...(cert && key ? { clientCertPath: cert, clientKeyPath: key } : {}),
        ...(serverName ? { serverNameOverride: serverName } : {}),
      }
    : flags.tls === true || tlsEnv === '1' || tlsEnv === 'true' || !!apiKey;
  const kubeconfig = flags.kubeconfig?.trim();
  const context = flags.context?.trim();
  return {
    config: {
      temporal: { address, namespace, ...(apiKey ? { apiKey } : {}), tls, addressFrom },
      kube: { ...(kubeconfig ? { kubeconfig } : {}), ...(context ? { context } : {}) },
    },
    problems: [],
  };
}

/** The controller's task queue: the flag, then {@link TASK_QUEUE_ENV}, then `knmstate.cluster`. */
export function resolveTaskQueue(flag: string | undefined, env: Record<string, string | undefined>): string {
  return pick(flag, env[TASK_QUEUE_ENV]) ?? CLUSTER_TASK_QUEUE;
}

/** Who the CLI says asked for a control action: `kubectl-nmstate/<user>`. */
export function requester(env: Record<string, string | undefined>): string {
  const user = env.USER ?? env.USERNAME ?? env.LOGNAME;
  return user ? `kubectl-nmstate/${user}` : 'kubectl-nmstate';
}
