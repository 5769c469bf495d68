/**
 * A small Kubernetes REST client for the node agent: the few calls it makes (GET a namespace and a
 * Node for the probes, list Nodes, read/create/replace NodeNetworkState and its status, one watch)
 * over node:https. The agent runs on every node, and @kubernetes/client-node alone costs it ~40 MiB
 * of RSS (its generated API loads whole); this client costs next to nothing. Cluster-side code keeps
 * using @kubernetes/client-node.
 *
 * Credentials: a kubeconfig file (token, token file, client certificate and key, CA; by file or
 * inline data; `insecure-skip-tls-verify`), the in-cluster service account (token re-read from disk,
 * as bound tokens rotate), or an already loaded @kubernetes/client-node KubeConfig (tests).
 * exec plugins and auth providers are refused with a clear error.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest, Agent, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { InvalidConfigurationError, KnmstateError } from '../../crd/errors.ts';

/** A failed API call: the HTTP status and the API server's Status reason/message when it sent one. */
export class KubeError extends KnmstateError {
  readonly code: number;
  readonly reason: string | undefined;
  constructor(code: number, message: string, reason?: string) {
    super('KubeApiFailed', message);
    this.code = code;
    this.reason = reason;
  }
}

/** Whether `err` is a KubeError with HTTP status `code`. */
export const isKubeError = (err: unknown, code: number): boolean => err instanceof KubeError && err.code === code;

/** Where and how to reach the API server. */
export interface KubeAccess {
  /** `https://host:port`. */
  server: string;
  ca?: string | Buffer;
  /** A bearer token, or a function that returns the current one. */
  token?: string | (() => string);
  cert?: string | Buffer;
  key?: string | Buffer;
  insecureSkipTlsVerify?: boolean;
}

/** The parts of @kubernetes/client-node's KubeConfig this module reads (structural: no import). */
export interface KubeConfigLike {
  getCurrentCluster(): { server: string; caData?: string | undefined; caFile?: string | undefined; skipTLSVerify?: boolean } | null;
  getCurrentUser(): { token?: string | undefined; certData?: string | undefined; certFile?: string | undefined; keyData?: string | undefined; keyFile?: string | undefined; exec?: unknown; authProvider?: unknown } | null;
}

type Obj = Record<string, unknown>;
const b64 = (s: string): Buffer => Buffer.from(s, 'base64');

/** A watch event. */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** The client. */
export class KubeClient {
  readonly server: URL;
  readonly #access: KubeAccess;
  readonly #agent: Agent;
  /**
   * For `fresh` requests: a new connection each (no keep-alive), whose TLS session is resumed from
   * the last one. Still a new TCP connection and handshake over the node's network, as the API
   * probe wants, at half the CPU of a full handshake on both sides (measured: 1.7-2.1 instead of
   * 3.3-4.8 ms of kube-apiserver CPU per request).
   */
  readonly #freshAgent: Agent;

  constructor(access: KubeAccess) {
    this.server = new URL(access.server);
    this.#access = access;
    this.#agent = new Agent({ keepAlive: true, maxSockets: 8, ...this.#tls() });
    this.#freshAgent = new Agent({ keepAlive: false, ...this.#tls() });
  }

  /** From a kubeconfig file (its current context, or `context`). */
  static fromKubeconfigFile(path: string, context?: string): KubeClient {
    const cfg = parseYaml(readFileSync(path, 'utf8')) as Obj;
    const named = (list: unknown, name: unknown, what: string): Obj => {
      const e = (Array.isArray(list) ? (list as Obj[]) : []).find((x) => x.name === name);
      if (!e) throw new InvalidConfigurationError(`kubeconfig ${path}: no ${what} named ${JSON.stringify(name)}`);
      return (e[what] as Obj | undefined) ?? {};
    };
    const ctx = named(cfg.contexts, context ?? cfg['current-context'], 'context');
    const cluster = named(cfg.clusters, ctx.cluster, 'cluster');
    const user = named(cfg.users, ctx.user, 'user');
    if (user.exec || user['auth-provider'] || user.username) throw new InvalidConfigurationError(`kubeconfig ${path}: user ${String(ctx.user)} needs an exec plugin, auth provider or basic auth, which the node agent does not support; use a token or client certificate`);
    const fileOr = (data: unknown, file: unknown): Buffer | undefined => (typeof data === 'string' ? b64(data) : typeof file === 'string' ? readFileSync(file) : undefined);
    const tokenFile = typeof user.tokenFile === 'string' ? user.tokenFile : undefined;
    const access: KubeAccess = { server: String(cluster.server) };
    const ca = fileOr(cluster['certificate-authority-data'], cluster['certificate-authority']);
    const cert = fileOr(user['client-certificate-data'], user['client-certificate']);
    const key = fileOr(user['client-key-data'], user['client-key']);
    if (ca) access.ca = ca;
    if (cert) access.cert = cert;
    if (key) access.key = key;
    if (cluster['insecure-skip-tls-verify'] === true) access.insecureSkipTlsVerify = true;
    if (typeof user.token === 'string') access.token = user.token;
    else if (tokenFile) access.token = () => readFileSync(tokenFile, 'utf8').trim();
    return new KubeClient(access);
  }

  /** The pod's service account (KUBERNETES_SERVICE_HOST/PORT, /var/run/secrets/kubernetes.io/serviceaccount). */
  static inCluster(): KubeClient {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
    if (!host) throw new InvalidConfigurationError('not in a cluster: KUBERNETES_SERVICE_HOST is not set (give KUBECONFIG instead)');
    const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
    const server = host.includes(':') ? `https://[${host}]:${port}` : `https://${host}:${port}`;
    return new KubeClient({ server, ca: readFileSync(`${dir}/ca.crt`), token: () => readFileSync(`${dir}/token`, 'utf8').trim() });
  }

  /** From a loaded @kubernetes/client-node KubeConfig. */
  static fromKubeConfig(kc: KubeConfigLike): KubeClient {
    const cluster = kc.getCurrentCluster();
    const user = kc.getCurrentUser();
    if (!cluster) throw new InvalidConfigurationError('KubeConfig has no current cluster');
    if (user?.exec || user?.authProvider) throw new InvalidConfigurationError('KubeConfig user needs an exec plugin or auth provider, which the node agent does not support');
    const access: KubeAccess = { server: cluster.server };
    if (cluster.caData) access.ca = b64(cluster.caData);
    else if (cluster.caFile) access.ca = readFileSync(cluster.caFile);
    if (cluster.skipTLSVerify) access.insecureSkipTlsVerify = true;
    if (user?.token) access.token = user.token;
    if (user?.certData) access.cert = b64(user.certData);
    else if (user?.certFile) access.cert = readFileSync(user.certFile);
    if (user?.keyData) access.key = b64(user.keyData);
    else if (user?.keyFile) access.key = readFileSync(user.keyFile);
    return new KubeClient(access);
  }

  #tls(): Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'> {
    const a = this.#access;
    return { ...(a.ca ? { ca: a.ca } : {}), ...(a.cert ? { cert: a.cert } : {}), ...(a.key ? { key: a.key } : {}), ...(a.insecureSkipTlsVerify ? { rejectUnauthorized: false } : {}) };
  }

  #options(method: string, path: string, opts: { fresh?: boolean; contentType?: string; timeoutMs?: number }): RequestOptions {
    const token = typeof this.#access.token === 'function' ? this.#access.token() : this.#access.token;
    return {
      method,
      host: this.server.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: this.server.port || (this.server.protocol === 'https:' ? 443 : 80),
      path: `${this.server.pathname.replace(/\/$/, '')}${path}`,
      headers: { accept: 'application/json', ...(opts.contentType ? { 'content-type': opts.contentType } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(this.server.protocol === 'https:' ? { ...this.#tls(), agent: opts.fresh ? this.#freshAgent : this.#agent } : {}),
      ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    };
  }

  #send(o: RequestOptions, body: string | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = (this.server.protocol === 'https:' ? httpsRequest : httpRequest)(o, resolve);
      req.once('error', reject);
      req.once('timeout', () => req.destroy(new Error(`${o.method} ${o.path}: no answer within ${o.timeout} ms`)));
      req.end(body);
    });
  }

  /**
   * One API call; resolves with the decoded JSON body, rejects with {@link KubeError} on an HTTP error.
   * @param opts.fresh use a new connection (upstream's API probe: a cached connection can outlive a network change)
   */
  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, opts: { fresh?: boolean; timeoutMs?: number } = {}): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const res = await this.#send(this.#options(method, path, { ...opts, ...(payload ? { contentType: 'application/json' } : {}), timeoutMs: opts.timeoutMs ?? 30_000 }), payload);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return (text ? JSON.parse(text) : undefined) as T;
    let reason: string | undefined;
    let message = text.slice(0, 500);
    try {
      const s = JSON.parse(text) as { reason?: string; message?: string };
      reason = s.reason;
      message = s.message ?? message;
    } catch {
      /* not a Status */
    }
    throw new KubeError(status, `${method} ${path}: ${status} ${message}`, reason);
  }

  /**
   * Watches `path` (a collection). Calls `onEvent` per event and `onDone` when the stream ends or
   * fails (the caller restarts it). Returns an abort function.
   */
  watch<T>(path: string, onEvent: (e: WatchEvent<T>) => void, onDone: (err?: Error) => void): () => void {
    let req: ReturnType<typeof httpsRequest> | undefined;
    let finished = false;
    const done = (err?: Error): void => {
      if (finished) return;
      finished = true;
      onDone(err);
    };
    const o = this.#options('GET', `${path}${path.includes('?') ? '&' : '?'}watch=true&allowWatchBookmarks=true`, {});
    req = (this.server.protocol === 'https:' ? httpsRequest : httpRequest)(o, (res) => {
      if ((res.statusCode ?? 0) >= 300) {
        res.resume();
        done(new KubeError(res.statusCode ?? 0, `watch ${path}: ${res.statusCode}`));
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          try {
            onEvent(JSON.parse(line) as WatchEvent<T>);
          } catch (err) {
            done(err as Error);
            req?.destroy();
            return;
          }
        }
      });
      res.once('end', () => done());
      res.once('error', (err) => done(err));
    });
    req.once('error', (err) => done(err));
    req.end();
    return () => {
      finished = true;
      req?.destroy();
      req = undefined;
    };
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#agent.destroy();
    this.#freshAgent.destroy();
  }
}
