/**
 * The connections a command opens, lazily and once: the Temporal client and the Kubernetes API. Every
 * failure to connect becomes a {@link CliError} that says what to set. `close()` releases both. The
 * two client libraries load on first use (together ~4 s on a busy machine), so `--help`, completion
 * and flag errors answer at once.
 */
import { readFileSync } from 'node:fs';
import type { Client, TLSConfig } from '@temporalio/client';
import type { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { reuseConnections } from '../activities/cluster/connection-pool.ts';
import { NNCE, LABEL_POLICY, type NodeNetworkConfigurationEnactment } from '../crd/nnce.ts';
import { NNCP, type NodeNetworkConfigurationPolicy } from '../crd/nncp.ts';
import type { CliConfig, TemporalSettings } from './config.ts';
import { CliError, usageError } from './errors.ts';

/** How long connecting to Temporal may take before the CLI gives up. */
export const CONNECT_TIMEOUT_MS = 5_000;

const TEMPORAL_HINT = 'set TEMPORAL_ADDRESS or --address (and TEMPORAL_NAMESPACE/--namespace, --tls-* or --api-key for a secured server)';
const KUBE_HINT = 'set --kubeconfig or KUBECONFIG, and --context';

/** The SDK's TLS option for the settings: `false`, `true` (system roots) or the material read from its files. */
export function tlsOption(tls: TemporalSettings['tls']): boolean | TLSConfig {
  if (typeof tls === 'boolean') return tls;
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw usageError(`cannot read the ${what} ${path}: ${(err as Error).message}`, 'check --tls-ca, --tls-cert and --tls-key (or TEMPORAL_TLS_* variables)');
    }
  };
  return {
    ...(tls.serverNameOverride ? { serverNameOverride: tls.serverNameOverride } : {}),
    ...(tls.serverRootCACertificatePath ? { serverRootCACertificate: read(tls.serverRootCACertificatePath, 'server CA certificate') } : {}),
    ...(tls.clientCertPath && tls.clientKeyPath ? { clientCertPair: { crt: read(tls.clientCertPath, 'client certificate'), key: read(tls.clientKeyPath, 'client key') } } : {}),
  };
}

/** The lazily opened connections of one CLI run. */
export class Session {
  readonly config: CliConfig;
  readonly env: Record<string, string | undefined>;
  #client: Promise<Client> | undefined;
  #kube: { kc: KubeConfig; objects: CustomObjectsApi } | undefined;

  constructor(config: CliConfig, env: Record<string, string | undefined>) {
    this.config = config;
    this.env = env;
  }

  /** The Temporal client; a {@link CliError} (exit 3) when Temporal cannot be reached. */
  temporal(): Promise<Client> {
    this.#client ??= this.#connect();
    return this.#client;
  }

  async #connect(): Promise<Client> {
    const t = this.config.temporal;
    const { Client, Connection } = await import('@temporalio/client');
    try {
      const connection = await Connection.connect({ address: t.address, tls: tlsOption(t.tls), ...(t.apiKey ? { apiKey: t.apiKey } : {}), connectTimeout: CONNECT_TIMEOUT_MS });
      return new Client({ connection, namespace: t.namespace });
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw usageError(`cannot reach Temporal at ${t.address} (from ${t.addressFrom}): ${firstLine(err)}`, TEMPORAL_HINT);
    }
  }

  /** Runs `fn` with a deadline on Temporal calls (a query with no worker to answer waits otherwise). */
  async withDeadline<T>(ms: number, fn: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.temporal();
    return client.connection.withDeadline(Date.now() + ms, () => fn(client));
  }

  /** The kubeconfig, loaded like kubectl does; a {@link CliError} (exit 3) when it cannot be. */
  async kubeConfig(): Promise<KubeConfig> {
    return (await this.#kubeApi()).kc;
  }

  async #kubeApi(): Promise<{ kc: KubeConfig; objects: CustomObjectsApi }> {
    if (this.#kube) return this.#kube;
    const { CustomObjectsApi, KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    const path = this.config.kube.kubeconfig ?? this.env.KUBECONFIG?.split(':').find(Boolean);
    try {
      if (path) kc.loadFromFile(path);
      else kc.loadFromDefault();
    } catch (err) {
      throw usageError(`cannot read the kubeconfig${path ? ` ${path}` : ''}: ${firstLine(err)}`, KUBE_HINT);
    }
    const context = this.config.kube.context;
    if (context) {
      if (!kc.getContexts().some((c) => c.name === context)) throw usageError(`the kubeconfig has no context ${JSON.stringify(context)} (it has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`, KUBE_HINT);
      kc.setCurrentContext(context);
    }
    if (!kc.getCurrentCluster()) throw usageError('the kubeconfig names no cluster', KUBE_HINT);
    reuseConnections(kc);
    this.#kube = { kc, objects: kc.makeApiClient(CustomObjectsApi) };
    return this.#kube;
  }

  /** The policy, or undefined when it does not exist. */
  async getPolicy(name: string): Promise<NodeNetworkConfigurationPolicy | undefined> {
    try {
      return (await (await this.#kubeApi()).objects.getClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name })) as NodeNetworkConfigurationPolicy;
    } catch (err) {
      if (isApiException(err) && err.code === 404) return undefined;
      throw this.#kubeError(err);
    }
  }

  /** Every policy. */
  async listPolicies(): Promise<NodeNetworkConfigurationPolicy[]> {
    try {
      const list = (await (await this.#kubeApi()).objects.listClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural })) as { items: NodeNetworkConfigurationPolicy[] };
      return list.items;
    } catch (err) {
      throw this.#kubeError(err);
    }
  }

  /** The enactments of a policy. */
  async listEnactments(policy: string): Promise<NodeNetworkConfigurationEnactment[]> {
    try {
      const list = (await (await this.#kubeApi()).objects.listClusterCustomObject({ group: NNCE.group, version: NNCE.version, plural: NNCE.plural, labelSelector: `${LABEL_POLICY}=${policy}` })) as {
        items: NodeNetworkConfigurationEnactment[];
      };
      return list.items;
    } catch (err) {
      throw this.#kubeError(err);
    }
  }

  #kubeError(err: unknown): CliError {
    if (err instanceof CliError) return err;
    const server = this.#kube?.kc.getCurrentCluster()?.server ?? 'the API server';
    if (isApiException(err)) {
      if (err.code === 401 || err.code === 403) return usageError(`the Kubernetes API at ${server} refused the request (HTTP ${err.code})`, 'check the credentials of the kubeconfig context (--context)');
      return new CliError(`the Kubernetes API at ${server} answered HTTP ${err.code}: ${firstLine(err)}`);
    }
    return usageError(`cannot reach the Kubernetes API at ${server}: ${firstLine(err)}`, KUBE_HINT);
  }

  /** Closes the Temporal connection, if one was opened. */
  async close(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    if (!c) return;
    try {
      await (await c).connection.close();
    } catch {
      // never connected
    }
  }
}

/** An HTTP error of @kubernetes/client-node (its ApiException: a numeric `code` and a `body`). */
function isApiException(err: unknown): err is Error & { code: number } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'body' in err;
}

/** The first line of an error's message. */
export function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.slice(0, 400);
}
