/**
 * deploy/'s kustomizations against the real apiserver: every overlay passes a server-side dry run, the
 * README's deploy command works as written on the harness's cluster (where the suite installed the
 * API first), each component's ServiceAccount has exactly its least-privilege rules (never Secrets;
 * the node agent never writes policies), and the manifests carry what the processes read (search
 * attributes of the dev server, the node agent's environment, the required Secret of prod).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { Connection } from '@temporalio/client';
import { openCluster, type Cluster } from '../../hack/cluster/cluster.ts';
import { freePorts } from '../../hack/cluster/ports.ts';
import { isAlive, startProcess, tailLog } from '../../hack/cluster/proc.ts';
import { Run } from '../../hack/cluster/run.ts';
import { eventually, GiveUp } from '../../hack/cluster/wait.ts';
import { serviceAccountKubeconfig } from '../../hack/cluster/users.ts';
import { knmstateSearchAttributes } from '../../workflows/search-attributes.ts';
import { parseNodeAgentEnv } from '../../workers/node-agent-config.ts';
import { parseControllerEnv } from '../../workers/controller/config.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const NS = 'knmstate';
const AGENT = 'knmstate-node-agent';
const CONTROLLER = 'knmstate-controller';

/** A built manifest, loosely typed: tests read a few fields by path. */
interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}
interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  envFrom?: { configMapRef?: { name: string; optional?: boolean }; secretRef?: { name: string; optional?: boolean } }[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: { httpGet?: { path: string; port: string } };
  livenessProbe?: { httpGet?: { path: string; port: string } };
  securityContext?: { privileged?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  hostNetwork?: boolean;
  serviceAccountName?: string;
  containers: Container[];
  volumes?: { name: string; hostPath?: { path: string }; secret?: { secretName: string; optional?: boolean } }[];
}

let cluster: Cluster;
const kubectl = (args: string[], opts: { kubeconfig?: string; input?: unknown } = {}) =>
  execa(cluster.tools.kubectl, ['--kubeconfig', opts.kubeconfig ?? cluster.info.kube.kubeconfig, ...args], {
    reject: false,
    cwd: root,
    ...(opts.input === undefined ? {} : { input: JSON.stringify(opts.input) }),
  });

async function build(dir: string): Promise<Obj[]> {
  const r = await kubectl(['kustomize', dir]);
  if (r.exitCode !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
}
function find(objs: Obj[], kind: string, name: string): Obj {
  const o = objs.find((x) => x.kind === kind && (x.metadata.name === name || x.metadata.name.startsWith(`${name}-`)));
  if (!o) throw new Error(`no ${kind} ${name} in the build`);
  return o;
}
const podSpec = (o: Obj): PodSpec => (o.spec as { template: { spec: PodSpec } }).template.spec;

/** The environment a pod's container would get: its ConfigMaps and Secrets (given) in order, then `env` values. */
function containerEnv(objs: Obj[], c: Container, secrets: Record<string, Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, (find(objs, 'ConfigMap', from.configMapRef.name) as { data?: Record<string, string> }).data);
    if (from.secretRef) {
      const s = secrets[from.secretRef.name];
      if (!s && !from.secretRef.optional) throw new Error(`Secret ${from.secretRef.name} is required`);
      Object.assign(env, s);
    }
  }
  for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  return env;
}

/** The first ```sh block of a README section, one command a line. */
function readmeCommands(section: string): string[] {
  const readme = readFileSync(`${root}/README.md`, 'utf8');
  const at = readme.indexOf(`## ${section}\n`);
  if (at < 0) throw new Error(`README.md has no section "${section}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error(`README.md section "${section}" has no sh block`);
  return block[1]!.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

beforeAll(() => {
  cluster = openCluster();
});

describe('deploy/ overlays on the real apiserver', () => {
  // A server-side dry run creates nothing, so the namespaced objects need their namespace for real.
  beforeAll(async () => {
    const r = await kubectl(['apply', '--server-side', '-f', 'deploy/base/namespace.yaml']);
    if (r.exitCode !== 0) throw new Error(`creating namespace ${NS} failed: ${r.stderr}`);
  });

  it.each(['deploy/base', 'deploy/overlays/dev', 'deploy/overlays/prod', 'deploy'])(
    'given %s and its namespace, should pass a server-side dry run of kubectl apply -k',
    async (dir) => {
      const r = await kubectl(['apply', '-k', dir, '--server-side', '--dry-run=server']);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('daemonset.apps/knmstate-node-agent serverside-applied (server dry run)');
      expect(r.stdout).toContain('deployment.apps/knmstate-controller serverside-applied (server dry run)');
    },
  );

  it("given the cluster where the harness installed the API first, should run the README's deploy command as written, twice, and keep the admission policy enforcing", async () => {
    const commands = readmeCommands('Deploy to a cluster');
    expect(commands).toEqual(['kubectl apply --server-side -k deploy/']);
    const [, ...args] = commands[0]!.split(/\s+/);
    for (let i = 0; i < 2; i++) {
      const r = await execa(cluster.tools.kubectl, args, { cwd: root, reject: false, env: { KUBECONFIG: cluster.info.kube.kubeconfig } });
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
    }
    // Still enforcing: a policy breaking one of its rules is refused.
    const refused = await kubectl(['create', '--dry-run=server', '-f', '-'], {
      input: { apiVersion: 'nmstate.io/v1', kind: 'NodeNetworkConfigurationPolicy', metadata: { name: 'deploy-readme-probe' }, spec: { nodeSelector: { a: 'not a label value' } } },
    });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('nncp-validation-policy');
  });
});

describe('deploy/ RBAC', () => {
  // The ServiceAccounts and roles must exist for real: the README's command applies them (idempotent).
  beforeAll(async () => {
    const r = await kubectl(['apply', '--server-side', '-k', 'deploy/']);
    if (r.exitCode !== 0) throw new Error(`kubectl apply -k deploy/ failed: ${r.stderr}`);
  });

  const canI = async (sa: string, verb: string, resource: string, extra: string[] = []): Promise<string> => {
    const r = await kubectl(['auth', 'can-i', verb, resource, `--as=system:serviceaccount:${NS}:${sa}`, ...extra]);
    return r.stdout.trim();
  };

  const matrix: [sa: string, verb: string, resource: string, extra: string[], want: 'yes' | 'no'][] = [
    // node agent: Nodes and its NodeNetworkState, nothing of the rollout's objects, never Secrets
    [AGENT, 'get', 'nodes', [], 'yes'],
    [AGENT, 'watch', 'nodes', [], 'yes'],
    [AGENT, 'update', 'nodes', [], 'no'],
    [AGENT, 'create', 'nodenetworkstates.nmstate.io', [], 'yes'],
    [AGENT, 'update', 'nodenetworkstates.nmstate.io', [], 'yes'],
    [AGENT, 'update', 'nodenetworkstates.nmstate.io', ['--subresource=status'], 'yes'],
    [AGENT, 'delete', 'nodenetworkstates.nmstate.io', [], 'no'],
    [AGENT, 'get', 'nodenetworkconfigurationpolicies.nmstate.io', [], 'no'],
    [AGENT, 'create', 'nodenetworkconfigurationpolicies.nmstate.io', [], 'no'],
    [AGENT, 'update', 'nodenetworkconfigurationpolicies.nmstate.io', [], 'no'],
    [AGENT, 'patch', 'nodenetworkconfigurationpolicies.nmstate.io', ['--subresource=status'], 'no'],
    [AGENT, 'delete', 'nodenetworkconfigurationpolicies.nmstate.io', [], 'no'],
    [AGENT, 'create', 'nodenetworkconfigurationenactments.nmstate.io', [], 'no'],
    [AGENT, 'get', 'secrets', ['-A'], 'no'],
    [AGENT, 'list', 'secrets', ['-n', NS], 'no'],
    [AGENT, 'get', 'configmaps', ['-n', NS], 'no'],
    [AGENT, 'create', 'events', ['-n', 'default'], 'no'],
    // controller: policies read-only but their status, enactments whole, Nodes and NNS read, events
    [CONTROLLER, 'watch', 'nodenetworkconfigurationpolicies.nmstate.io', [], 'yes'],
    [CONTROLLER, 'patch', 'nodenetworkconfigurationpolicies.nmstate.io', ['--subresource=status'], 'yes'],
    [CONTROLLER, 'update', 'nodenetworkconfigurationpolicies.nmstate.io', ['--subresource=status'], 'yes'],
    [CONTROLLER, 'update', 'nodenetworkconfigurationpolicies.nmstate.io', [], 'no'],
    [CONTROLLER, 'patch', 'nodenetworkconfigurationpolicies.nmstate.io', [], 'no'],
    [CONTROLLER, 'create', 'nodenetworkconfigurationpolicies.nmstate.io', [], 'no'],
    [CONTROLLER, 'delete', 'nodenetworkconfigurationpolicies.nmstate.io', [], 'no'],
    [CONTROLLER, 'create', 'nodenetworkconfigurationenactments.nmstate.io', [], 'yes'],
    [CONTROLLER, 'delete', 'nodenetworkconfigurationenactments.nmstate.io', [], 'yes'],
    [CONTROLLER, 'patch', 'nodenetworkconfigurationenactments.nmstate.io', ['--subresource=status'], 'yes'],
    [CONTROLLER, 'watch', 'nodes', [], 'yes'],
    [CONTROLLER, 'patch', 'nodes', [], 'no'],
    [CONTROLLER, 'list', 'nodenetworkstates.nmstate.io', [], 'yes'],
    [CONTROLLER, 'update', 'nodenetworkstates.nmstate.io', [], 'no'],
    [CONTROLLER, 'create', 'events', ['-n', 'default'], 'yes'],
    [CONTROLLER, 'create', 'events.events.k8s.io', ['-n', 'default'], 'yes'],
    [CONTROLLER, 'get', 'secrets', ['-A'], 'no'],
    [CONTROLLER, 'list', 'secrets', ['-n', NS], 'no'],
    [CONTROLLER, 'create', 'pods', ['-n', NS], 'no'],
  ];

  it('given the ServiceAccounts of deploy/, should allow exactly what each component needs (kubectl auth can-i --as)', async () => {
    const line = ([sa, verb, resource, extra]: (typeof matrix)[number]) => `${sa} ${verb} ${resource}${extra.length ? ` ${extra.join(' ')}` : ''}`;
    const got: string[] = [];
    // A few kubectl processes at a time: this machine has two cores shared with other suites.
    for (let i = 0; i < matrix.length; i += 6) {
      const batch = matrix.slice(i, i + 6);
      got.push(...(await Promise.all(batch.map(async (m) => `${line(m)}: ${await canI(m[0], m[1], m[2], m[3])}`))));
    }
    expect(got).toEqual(matrix.map((m) => `${line(m)}: ${m[4]}`));
  });

  it("given each component's own ServiceAccount token, should be refused Secrets, and the node agent refused policy writes, by the apiserver", async () => {
    for (const sa of [AGENT, CONTROLLER]) {
      const { kubeconfig } = await serviceAccountKubeconfig(cluster.run, cluster.info.kube, NS, sa);
      const secrets = await kubectl(['get', 'secrets', '-n', NS], { kubeconfig });
      expect(secrets.exitCode).not.toBe(0);
      expect(secrets.stderr).toContain(`User "system:serviceaccount:${NS}:${sa}" cannot list resource "secrets"`);
      const nncp = await kubectl(['create', '--dry-run=server', '-f', '-'], {
        kubeconfig,
        input: { apiVersion: 'nmstate.io/v1', kind: 'NodeNetworkConfigurationPolicy', metadata: { name: `deploy-rbac-${sa}` }, spec: {} },
      });
      expect(nncp.exitCode).not.toBe(0);
      expect(nncp.stderr).toContain(`cannot create resource "nodenetworkconfigurationpolicies"`);
      // The controller may read policies; the node agent may not even do that.
      const list = await kubectl(['get', 'nodenetworkconfigurationpolicies.nmstate.io'], { kubeconfig });
      expect(list.exitCode).toBe(sa === CONTROLLER ? 0 : 1);
    }
  });
});

describe('deploy/ manifests carry what the processes read', () => {
  it('given the dev overlay, should start the Temporal dev server on all addresses with every search attribute of workflows/search-attributes.ts, behind the Service the components are pointed at', async () => {
    const objs = await build('deploy/overlays/dev');
    const server = podSpec(find(objs, 'Deployment', 'temporal-dev')).containers[0]!;
    const args = server.args ?? [];
    expect(args.slice(0, 4)).toEqual(['server', 'start-dev', '--ip', '0.0.0.0']);
    const registered = args.flatMap((a, i) => (args[i - 1] === '--search-attribute' ? [a] : [])).sort();
    const cliType = (t: string) => t.toLowerCase().replace(/_/g, '');
    expect(registered.map((a) => a.replace(/=(.*)$/, (_, t: string) => `=${t.toLowerCase()}`))).toEqual(
      knmstateSearchAttributes.map((k) => `${k.name}=${cliType(k.type)}`).sort(),
    );
    const svc = find(objs, 'Service', 'temporal-dev') as Obj & { spec: { ports: { name: string; port: number }[] } };
    const grpc = svc.spec.ports.find((p) => p.name === 'grpc')!;
    const agent = podSpec(find(objs, 'DaemonSet', AGENT)).containers[0]!;
    expect(containerEnv(objs, agent).TEMPORAL_ADDRESS).toBe(`${svc.metadata.name}.${svc.metadata.namespace}.svc:${grpc.port}`);
    const controller = podSpec(find(objs, 'Deployment', CONTROLLER)).containers[0]!;
    expect(containerEnv(objs, controller).TEMPORAL_ADDRESS).toBe(`${svc.metadata.name}.${svc.metadata.namespace}.svc:${grpc.port}`);
  });

  it("given the dev overlay's Temporal arguments, should start the real dev server (same CLI version) with every knmstate search attribute registered", async () => {
    const objs = await build('deploy/overlays/dev');
    const server = podSpec(find(objs, 'Deployment', 'temporal-dev')).containers[0]!;
    const image = (server as Container & { image?: string }).image ?? '';
    const run = Run.create();
    try {
      // The pod's arguments as they are, but for this machine's loopback, free ports and a run folder.
      const [port, uiPort] = await freePorts(2);
      const local: Record<string, string> = { '--ip': '127.0.0.1', '--port': String(port), '--ui-port': String(uiPort), '--db-filename': run.path('temporal.db') };
      const args = (server.args ?? []).map((a, i, all) => local[all[i - 1]!] ?? a);
      const version = /temporal:(\S+)$/.exec(image)?.[1];
      const cli = await execa(cluster.tools.temporal, ['--version'], { reject: false });
      expect(cli.stdout).toContain(`temporal version ${version}`);
      const rec = startProcess({ name: 'temporal-dev-overlay', command: cluster.tools.temporal, args, log: run.path('temporal.log') });
      run.recordProc(rec);
      const connection = await eventually(
        async () => {
          if (!isAlive(rec)) throw new GiveUp(`temporal exited with the dev overlay's arguments:\n${tailLog(rec.log)}`);
          return Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 1_000 });
        },
        { timeoutMs: 30_000, intervalMs: 200, what: "Temporal dev server with the dev overlay's arguments" },
      );
      try {
        const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        const custom = Object.keys(listed.customAttributes ?? {}).sort();
        expect(custom).toEqual(knmstateSearchAttributes.map((k) => k.name).sort());
      } finally {
        await connection.close();
      }
    } finally {
      await run.teardown();
    }
  }, 60_000);

  it("given the base, should run the node agent on the host network with its node's name, NetworkManager's D-Bus, a host state folder, and an environment its own parser accepts", async () => {
    const objs = await build('deploy/base');
    const spec = podSpec(find(objs, 'DaemonSet', AGENT));
    expect(spec.hostNetwork).toBe(true);
    expect(spec.serviceAccountName).toBe(AGENT);
    const c = spec.containers[0]!;
    expect(c.securityContext?.privileged).toBe(true);
    expect(c.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
    const hostPath = (mountPath: string) => {
      const m = c.volumeMounts?.find((v) => v.mountPath === mountPath);
      return spec.volumes?.find((v) => v.name === m?.name)?.hostPath?.path;
    };
    expect(hostPath('/run/dbus')).toBe('/run/dbus'); // holds system_bus_socket
    const env = { ...containerEnv(objs, c), NODE_NAME: 'worker-1' };
    const cfg = parseNodeAgentEnv(env);
    expect(hostPath(cfg.stateDir)).toBe(cfg.stateDir);
    expect(cfg.mode).toBe('networkmanager');
    const health = c.ports?.find((p) => p.name === 'health');
    expect(health?.containerPort).toBe(cfg.healthPort);
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'health' });
  });

  it('given the base, should run the controller unprivileged under its own ServiceAccount, with probes on its health port and an environment its own parser accepts', async () => {
    const objs = await build('deploy/base');
    const spec = podSpec(find(objs, 'Deployment', CONTROLLER)) as PodSpec & { securityContext?: { runAsNonRoot?: boolean } };
    expect(spec.serviceAccountName).toBe(CONTROLLER);
    expect(spec.hostNetwork).toBeFalsy();
    expect(spec.securityContext?.runAsNonRoot).toBe(true);
    const c = spec.containers[0]!;
    const cfg = parseControllerEnv(containerEnv(objs, c));
    expect(c.ports?.find((p) => p.name === 'health')?.containerPort).toBe(cfg.healthPort);
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(cfg.temporal).toEqual({ address: 'temporal-frontend.temporal.svc:7233', namespace: 'default', tls: false });
  });

  it('given the prod overlay, should require the Secret knmstate-temporal and take address, namespace and API key from it, and the mTLS files from knmstate-temporal-tls', async () => {
    const objs = await build('deploy/overlays/prod');
    for (const [kind, name] of [['DaemonSet', AGENT], ['Deployment', CONTROLLER]] as const) {
      const spec = podSpec(find(objs, kind, name));
      const c = spec.containers[0]!;
      expect(() => containerEnv(objs, c)).toThrow('Secret knmstate-temporal is required');
      const tls = c.volumeMounts?.find((v) => v.name === spec.volumes?.find((x) => x.secret?.secretName === 'knmstate-temporal-tls')?.name);
      expect(tls?.mountPath).toBe('/etc/knmstate/temporal-tls');
      if (kind !== 'DaemonSet') continue;
      // The two recipes of deploy/README.md, as the node agent reads them.
      const cloud = parseNodeAgentEnv({
        ...containerEnv(objs, c, { 'knmstate-temporal': { TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233', TEMPORAL_NAMESPACE: 'knmstate.a1b2c', TEMPORAL_API_KEY: 'k' } }),
        NODE_NAME: 'worker-1',
      });
      expect(cloud.temporal).toEqual({ address: 'eu-west-1.aws.api.temporal.io:7233', namespace: 'knmstate.a1b2c', apiKey: 'k', tls: true });
      const mtls = parseNodeAgentEnv({
        ...containerEnv(objs, c, {
          'knmstate-temporal': {
            TEMPORAL_ADDRESS: 'temporal.example.com:7233',
            TEMPORAL_NAMESPACE: 'knmstate',
            TEMPORAL_TLS_CLIENT_CERT_PATH: '/etc/knmstate/temporal-tls/tls.crt',
            TEMPORAL_TLS_CLIENT_KEY_PATH: '/etc/knmstate/temporal-tls/tls.key',
          },
        }),
        NODE_NAME: 'worker-1',
      });
      expect(mtls.temporal.tls).toEqual({ clientCertPath: '/etc/knmstate/temporal-tls/tls.crt', clientKeyPath: '/etc/knmstate/temporal-tls/tls.key' });
    }
  });
});

describe('deploy/images', () => {
  it.each([
    ['controller', 'workers/controller.ts'],
    ['node-agent', 'workers/node-agent.ts'],
  ])('given the %s Dockerfile, should copy folders that exist, start %s, and warm its compile cache with imports that load', async (image, entry) => {
    const text = readFileSync(`${root}deploy/images/${image}.Dockerfile`, 'utf8');
    for (const [, src] of text.matchAll(/^COPY (?!--from)(\S+) /gm)) expect(existsSync(`${root}${src}`)).toBe(true);
    expect(text).toContain(`ENTRYPOINT ["node", "${entry}"]`);
    expect(existsSync(`${root}${entry}`)).toBe(true);
    const warm = /^RUN node --input-type=module -e "(.*)"$/m.exec(text)?.[1];
    expect(warm).toBeDefined();
    const r = await execa(process.execPath, ['--input-type=module', '-e', warm!], { cwd: root, reject: false, timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('given the node agent Dockerfile, should build the nmstatectl version the test suite runs', () => {
    const pinned = /^NMSTATE_VERSION=(\S+)$/m.exec(readFileSync(`${root}hack/tools.sh`, 'utf8'))?.[1];
    expect(pinned).toBeDefined();
    expect(readFileSync(`${root}deploy/images/node-agent.Dockerfile`, 'utf8')).toContain(`ARG NMSTATE_VERSION=${pinned}`);
  });
});
