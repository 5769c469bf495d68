/**
 * The Kubernetes control plane of a simulated cluster: the real etcd and kube-apiserver (built from
 * the Go module proxy by hack/tools.sh), token authentication, RBAC on, and a kubeconfig for clients.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { freePorts } from './ports.ts';
import { isAlive, startProcess, tailLog } from './proc.ts';
import { eventually, GiveUp } from './wait.ts';
import type { Run } from './run.ts';

/** Where clients reach the apiserver. */
export interface KubeInfo {
  /** https://127.0.0.1:<port> */
  server: string;
  /** kubeconfig of the admin user (system:masters). */
  kubeconfig: string;
  adminToken: string;
  /** PEM of the CA that signed the apiserver's serving certificate. */
  caFile: string;
}

function httpGet(url: string, headers: Record<string, string> = {}, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? request : httpRequest)(
      u,
      { headers, ...(ca ? { ca } : {}), timeout: 2_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Starts etcd and waits until it is healthy; returns its client URL. */
export async function startEtcd(run: Run, etcdBin: string): Promise<string> {
  const [client, peer] = await freePorts(2);
  const clientUrl = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const rec = startProcess({
    name: 'etcd',
    command: etcdBin,
    args: [
      '--name', 'knmstate',
      '--data-dir', run.path('etcd'),
      '--listen-client-urls', clientUrl,
      '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `knmstate=${peerUrl}`,
      '--log-level', 'error',
      // A throw-away test store: durability buys nothing here and fsync costs every write.
      '--unsafe-no-fsync',
    ],
    log: run.path('etcd.log'),
  });
  run.recordProc(rec);
  await eventually(
    async () => {
      if (!isAlive(rec)) throw new GiveUp(`etcd exited:\n${tailLog(rec.log)}`);
      const r = await httpGet(`${clientUrl}/health`);
      return r.status === 200 && r.body.includes('"health":"true"');
    },
    { timeoutMs: 20_000, intervalMs: 50, what: `etcd at ${clientUrl}` },
  );
  return clientUrl;
}

/** Writes a kubeconfig for one user authenticated by a bearer token. */
export function writeKubeconfig(path: string, kube: Pick<KubeInfo, 'server' | 'caFile'>, user: string, token: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'knmstate', cluster: { server: kube.server, 'certificate-authority': kube.caFile } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user === 'admin' ? 'knmstate' : `knmstate-${user}`, context: { cluster: 'knmstate', user } }],
    'current-context': user === 'admin' ? 'knmstate' : `knmstate-${user}`,
  };
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  return path;
}

/**
 * Starts kube-apiserver on etcd (token auth, RBAC, service-account tokens) and waits for /readyz.
 * Its serving certificate is the apiserver's own self-signed one; the CA part of it goes into the
 * kubeconfig, so clients verify TLS.
 */
export async function startKubeApiserver(run: Run, apiserverBin: string, etcdUrl: string): Promise<KubeInfo> {
  const [port] = await freePorts(1);
  const pki = run.path('pki');
  mkdirSync(pki, { recursive: true });
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  writeFileSync(`${pki}/sa.pub`, publicKey);
  writeFileSync(`${pki}/sa.key`, privateKey, { mode: 0o600 });
  const adminToken = randomBytes(24).toString('hex');
  writeFileSync(`${pki}/tokens.csv`, `${adminToken},admin,admin-uid,system:masters\n`, { mode: 0o600 });
  const rec = startProcess({
    name: 'kube-apiserver',
    command: apiserverBin,
    args: [
      `--etcd-servers=${etcdUrl}`,
      `--cert-dir=${pki}`,
      `--secure-port=${port}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC',
      `--token-auth-file=${pki}/tokens.csv`,
      '--allow-privileged=true',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${pki}/sa.pub`,
      `--service-account-signing-key-file=${pki}/sa.key`,
      // No kubelets or endpoints here: the loopback endpoint reconciler only logs errors.
      '--endpoint-reconciler-type=none',
      '--v=0',
    ],
    log: run.path('kube-apiserver.log'),
  });
  run.recordProc(rec);
  const server = `https://127.0.0.1:${port}`;
  const caFile = `${pki}/ca.crt`;
  await eventually(
    async () => {
      if (!isAlive(rec)) throw new GiveUp(`kube-apiserver exited:\n${tailLog(rec.log)}`);
      // The self-signed pair appears once the server has started; its second certificate is the CA.
      const pem = readFileSync(`${pki}/apiserver.crt`, 'utf8');
      const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
      const ca = certs[certs.length - 1];
      if (!ca) return false;
      const r = await httpGet(`${server}/readyz`, { authorization: `Bearer ${adminToken}` }, ca);
      if (r.status !== 200) return false;
      writeFileSync(caFile, ca);
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: `kube-apiserver at ${server}` },
  );
  const kubeconfig = writeKubeconfig(run.path('kubeconfig'), { server, caFile }, 'admin', adminToken);
  return { server, kubeconfig, adminToken, caFile };
}
