/**
 * Helpers of the node-agent suites: agents hosted in the test process on the suite's simulated
 * nodes, a workflow worker that calls node activities through the real Temporal server, and two
 * independent views of a node's network (iproute2's JSON, and nmstatectl's) to check "nothing left
 * behind" without trusting the agent's own comparison.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { runInNode, type NodeMode, type SimNode } from '../../hack/cluster/nodes.ts';
import { useCluster, type TestCluster } from '../support/cluster.ts';
import { startNodeAgents, type NodeAgents, type StartNodeAgentsOptions } from '../../workers/node-agent-host.ts';
import { KubeClient } from '../../activities/kube/client.ts';
import { uniformProbeSettings } from '../../crd/probes.ts';
import { callNode, type NodeCall, type NodeCallOutcome } from './workflows.ts';

/** What {@link useAgents} gives a test file. */
export interface AgentSuite {
  t: TestCluster;
  /** The in-process agents (unset with `hostAgents: false`). */
  agents: NodeAgents;
  stateDir: string;
  /** Calls a node activity through a workflow on the suite's own queue. */
  call(node: string, c: NodeCall, opts?: { maximumAttempts?: number; heartbeatTimeout?: string }): Promise<NodeCallOutcome>;
}

/** Probe settings that fit the simulated fabric (its DNS answers knmstate.test only) and keep failures short. */
export const TEST_PROBES = uniformProbeSettings({ dnsHost: 'gateway.knmstate.test', timeoutMs: 3_000, selectTimeoutMs: 3_000, intervalMs: 250 });

/**
 * A node group of `count` nodes with an agent per node hosted in this process (the real nmstatectl,
 * in the nodes' mode: `nodeMode`, else the harness default) and a workflow worker. Agents stop
 * before the nodes are removed.
 */
export function useAgents(group: string, count: number, extra: Partial<StartNodeAgentsOptions> & { hostAgents?: boolean; nodeMode?: NodeMode; mgmtProfile?: boolean } = {}): AgentSuite {
  const { hostAgents = true, nodeMode, mgmtProfile, ...agentOptions } = extra;
  const s = {} as AgentSuite;
  let connection: NativeConnection | undefined;
  let kube: KubeClient | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  // Declared before useCluster's hooks so that it runs first: agents stop before the nodes go.
  afterAll(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await s.agents?.shutdown();
    await connection?.close();
    kube?.close();
    if (s.stateDir) rmSync(s.stateDir, { recursive: true, force: true });
  }, 60_000);
  s.t = useCluster(group, count, { ...(nodeMode ? { mode: nodeMode } : {}), ...(mgmtProfile ? { mgmtProfile } : {}) });
  beforeAll(async () => {
    const { t } = s;
    connection = await NativeConnection.connect({ address: t.cluster.info.temporal.address });
    s.stateDir = mkdtempSync(join(tmpdir(), `knmstate-agent-${group}-`));
    if (hostAgents) s.agents = await startNodeAgents({
      connection,
      namespace: t.cluster.info.temporal.namespace,
      kube: (kube = KubeClient.fromKubeconfigFile(t.cluster.info.kube.kubeconfig)),
      nodes: t.nodes.nodes.map((n) => ({ name: n.name, netns: n.netns, mode: n.mode, ...(n.dbusAddress ? { env: { DBUS_SYSTEM_BUS_ADDRESS: n.dbusAddress } } : {}) })),
      nmstatectl: t.cluster.tools.nmstatectl,
      ping: t.cluster.tools.ping,
      mode: t.nodes.mode,
      stateDir: s.stateDir,
      probes: TEST_PROBES,
      logger: pino({ level: process.env.KNMSTATE_TEST_LOG ?? 'silent' }),
      ...agentOptions,
    });
    const queue = `knmstate.test.${group}.${t.cluster.run.id}`;
    worker = await Worker.create({ connection, namespace: t.cluster.info.temporal.namespace, taskQueue: queue, workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)) });
    running = worker.run();
    s.call = (node, c, opts = {}) => t.client.workflow.execute(callNode, { taskQueue: queue, workflowId: `${group}-${randomUUID()}`, args: [node, c, opts] });
  }, 90_000);
  return s;
}

/** The result of a node activity call that must succeed (the failure, whole, in the error otherwise). */
export async function okResult<T>(call: Promise<NodeCallOutcome>): Promise<T> {
  const r = await call;
  if (!r.ok) throw new Error(`activity failed: ${JSON.stringify(r)}`);
  return r.result as T;
}

type J = Record<string, unknown>;
const text = (v: unknown, dflt: string): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : dflt);

/**
 * A node's links, addresses and routes as iproute2 reports them (`-j`), without flags, lifetimes or
 * route protocol. `ignoreNmRuntime` (NetworkManager mode): without route metrics and link-local
 * address values: once NetworkManager manages an interface it gives its routes its own metrics
 * (e.g. 101 for eth0's prefix route), adds its own fe80::/64 beside the kernel's, and makes its
 * link-local address with its own addr-gen-mode (stable-privacy); only their presence counts.
 */
export async function ipView(node: SimNode, opts: { ignoreNmRuntime?: boolean } = {}): Promise<{ links: string[]; addrs: string[]; routes: string[] }> {
  const json = async (args: string[]): Promise<J[]> => {
    const r = await runInNode(node, 'ip', ['-j', ...args]);
    if (r.exitCode !== 0) throw new Error(`ip ${args.join(' ')} in ${node.name}: ${String(r.stderr)}`);
    return JSON.parse(String(r.stdout) || '[]') as J[];
  };
  const [links, addrs, r4, r6] = await Promise.all([json(['link', 'show']), json(['addr', 'show']), json(['-4', 'route', 'show', 'table', 'main']), json(['-6', 'route', 'show', 'table', 'main'])]);
  return {
    links: links.map((l) => `${String(l.ifname)} ${(l.flags as string[]).includes('UP') ? 'up' : 'down'} master=${text(l.master, '-')}`).sort(),
    addrs: addrs.flatMap((a) => (a.addr_info as J[]).map((i) => `${String(a.ifname)} ${opts.ignoreNmRuntime && String(i.local).startsWith('fe80:') ? 'fe80::' : String(i.local)}/${String(i.prefixlen)} ${String(i.scope)}`)).sort(),
    // Without metrics, the kernel's fe80::/64 (256) and NetworkManager's (1024) on the same device are one route.
    routes: [...new Set([...r4, ...r6].map((r) => `${String(r.dst)} via ${text(r.gateway, '-')} dev ${text(r.dev, '?')}${opts.ignoreNmRuntime ? '' : ` metric ${text(r.metric, '0')}`}`))].sort(),
  };
}

/**
 * `nmstatectl show -k` inside the node without runtime-only fields (address protocol and lifetimes,
 * bridge timers, hostname); `ignoreNmRuntime` also drops route metrics and `mptcp` flags and
 * masks link-local address values (NetworkManager sets or makes them on the interfaces it manages).
 */
export async function nmView(node: SimNode, nmstatectl: string, opts: { ignoreNmRuntime?: boolean } = {}): Promise<J> {
  const r = await runInNode(node, nmstatectl, ['show', '-q', '-k', '--json']);
  if (r.exitCode !== 0) throw new Error(`nmstatectl show in ${node.name}: ${String(r.stderr)}`);
  const state = JSON.parse(String(r.stdout)) as J;
  delete state.hostname;
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    const ll = opts.ignoreNmRuntime && v && typeof v === 'object' && typeof (v as J).ip === 'string' && String((v as J).ip).startsWith('fe80:');
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as J)
          .filter(([k]) => !['protocol', 'valid-life-time', 'preferred-life-time', 'gc-timer', 'hello-timer', ...(opts.ignoreNmRuntime ? ['metric', 'mptcp-flags', 'mptcp'] : [])].includes(k))
          .map(([k, x]) => [k, ll && k === 'ip' ? 'fe80::' : strip(x)]),
      );
    }
    return v;
  };
  const out = strip(state) as J;
  out.interfaces = (out.interfaces as J[]).sort((a, b) => String(a.name).localeCompare(String(b.name)));
  return out;
}

