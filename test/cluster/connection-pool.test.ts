/**
 * Connections to the run's real kube-apiserver: reuse in @kubernetes/client-node
 * (activities/cluster/connection-pool.ts), counted on undici's diagnostics channel, which the
 * client's HTTP stack publishes each connection on; and the node agent's own client, whose `fresh`
 * requests (the API probes) open a new connection each but resume the TLS session.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { TLSSocket } from 'node:tls';
import { credentialsKey, reuseConnections } from '../../activities/cluster/connection-pool.ts';
import { KubeClient } from '../../activities/kube/client.ts';
import { openCluster } from '../../hack/cluster/cluster.ts';

const CONNECTED = 'undici:client:connected';

/** New connections opened while `fn` runs. */
async function connectionsDuring(fn: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const count = (): void => void n++;
  subscribe(CONNECTED, count);
  try {
    await fn();
  } finally {
    unsubscribe(CONNECTED, count);
  }
  return n;
}

const load = (): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromFile(openCluster().info.kube.kubeconfig);
  return kc;
};
const fiveReads = (kc: KubeConfig) => async () => {
  const core = kc.makeApiClient(CoreV1Api);
  for (let i = 0; i < 5; i++) await core.readNamespace({ name: 'default' });
};

describe('Kubernetes client connections', () => {
  it('given the client as it comes, should open a new connection for every request (why reuseConnections exists)', async () => {
    expect(await connectionsDuring(fiveReads(load()))).toBe(5);
  });

  it('given reuseConnections, should make five requests over one connection, also from clients made before the call', async () => {
    const kc = load();
    const early = kc.makeApiClient(CoreV1Api);
    expect(reuseConnections(kc)).toBe(kc);
    reuseConnections(kc);
    const n = await connectionsDuring(async () => {
      await fiveReads(kc)();
      await early.readNamespace({ name: 'default' });
    });
    expect(n).toBe(1);
  });

  describe('given client certificate files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'knmstate-pool-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('given a rotated certificate file, should use a new connection pool for it', async () => {
      const ca = join(dir, 'ca.crt');
      const kc = load();
      const cluster = kc.getCurrentCluster()!;
      writeFileSync(ca, cluster.caData ? Buffer.from(cluster.caData, 'base64') : readFileSync(cluster.caFile!));
      kc.loadFromOptions({ clusters: [{ ...cluster, caData: undefined, caFile: ca }], users: kc.users, contexts: kc.contexts, currentContext: kc.currentContext });
      reuseConnections(kc);
      const before = credentialsKey(kc);
      expect(await connectionsDuring(fiveReads(kc))).toBe(1);
      utimesSync(ca, new Date(), new Date(Date.now() + 60_000));
      expect(credentialsKey(kc)).not.toBe(before);
      expect(await connectionsDuring(fiveReads(kc))).toBe(1);
    });
  });

  it("given the agent's fresh requests (the API probes), should open a new connection for each and resume the TLS session after the first", async () => {
    const client = KubeClient.fromKubeconfigFile(openCluster().info.kube.kubeconfig);
    const sockets: boolean[] = [];
    const seen = ({ socket }: { socket: TLSSocket }): void => void socket.once('secureConnect', () => sockets.push(socket.isSessionReused()));
    subscribe('net.client.socket', seen as (m: unknown) => void);
    try {
      for (let i = 0; i < 3; i++) await client.request('GET', '/api/v1/namespaces/default', undefined, { fresh: true });
    } finally {
      unsubscribe('net.client.socket', seen as (m: unknown) => void);
      client.close();
    }
    expect(sockets).toEqual([false, true, true]);
  });
});
