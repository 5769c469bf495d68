/**
 * Connection reuse for @kubernetes/client-node. Its generated API clients (2.0) build a new undici
 * Agent for every request, so every call opens a new TCP and TLS connection to the API server, and
 * the old agent keeps its idle socket open until the keep-alive timeout. The cluster activities and
 * the controller make several calls per node in a rollout, so the handshakes were a large share of
 * both the caller's and the API server's CPU. {@link reuseConnections} keeps one agent per
 * credentials and hands it to every request.
 */
import { statSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

const patched = new WeakSet<KubeConfig>();

const mtime = (file: string | undefined): number | undefined => {
  if (!file) return undefined;
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
};

/**
 * What the agent's TLS settings depend on: the current cluster and user, with the modification time
 * of any certificate or key file, so that rotated files get a new agent (and the old one is closed).
 * Tokens are headers, set per request, and need no new agent.
 */
export function credentialsKey(kc: KubeConfig): string {
  const c = kc.getCurrentCluster();
  const u = kc.getCurrentUser();
  return JSON.stringify([
    c?.name,
    c?.server,
    c?.caData,
    c?.caFile,
    mtime(c?.caFile),
    c?.skipTLSVerify,
    c?.tlsServerName,
    c?.proxyUrl,
    u?.name,
    u?.certData,
    u?.certFile,
    mtime(u?.certFile),
    u?.keyData,
    u?.keyFile,
    mtime(u?.keyFile),
  ]);
}

/**
 * Makes every API client made from `kc` (before or after this call) share one connection pool per
 * credentials. Idempotent; returns `kc`.
 */
export function reuseConnections(kc: KubeConfig): KubeConfig {
  if (patched.has(kc)) return kc;
  patched.add(kc);
  const apply = kc.applySecurityAuthentication.bind(kc);
  let pool: { key: string; dispatcher: Dispatcher } | undefined;
  kc.applySecurityAuthentication = async (context: RequestContext): Promise<void> => {
    await apply(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const key = credentialsKey(kc);
    if (pool?.key === key) {
      context.setDispatcher(pool.dispatcher);
      void fresh.close().catch(() => undefined);
      return;
    }
    const old = pool;
    pool = { key, dispatcher: fresh };
    if (old) void old.dispatcher.close().catch(() => undefined);
  };
  return kc;
}
