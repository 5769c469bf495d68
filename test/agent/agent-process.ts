/**
 * The node agent as a separate process (workers/node-agent.ts, configured from the environment only,
 * as a deployment would) for one simulated node of either mode, for the crash and shutdown suites.
 */
import { afterAll } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeMode, SimNode } from '../../hack/cluster/nodes.ts';
import { eventually, GiveUp } from '../../hack/cluster/wait.ts';
import type { InflightRecord } from '../../activities/node/journal.ts';
import { expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { callNode } from './workflows.ts';
import { ipView, nmView, useAgents, type AgentSuite } from './support.ts';
import { agentProcessEnv } from '../../hack/cluster/agent-env.ts';

/** One agent process. */
export interface AgentProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** What {@link useAgentProcesses} gives a test file. */
export interface AgentProcessSuite {
  s: AgentSuite;
  node: () => SimNode;
  /** The node's network, from iproute2 and nmstatectl (without route metrics in NetworkManager mode). */
  views: () => Promise<unknown>;
  /** The journal's in-flight record of the node, if any. */
  readInflight: () => InflightRecord | undefined;
  /**
   * Starts workers/node-agent.ts for the node and waits until it polls; `env` adds or overrides
   * variables; `onSpawn` gets the process at once (to watch its output before it polls).
   */
  startAgent: (env?: Record<string, string>, opts?: { onSpawn?: (agent: AgentProcess) => void }) => Promise<AgentProcess>;
  /** The workflow task queue of the suite's test workflow. */
  queue: () => string;
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether a process runs (a zombie left to a PID 1 that does not reap does not count). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const agentPath = fileURLToPath(new URL('../../workers/node-agent.ts', import.meta.url));

/** A one-node group in `mode` (`opts.mgmtProfile`: eth0 with a NetworkManager profile) whose agent the tests start (and kill) as a process. */
export function useAgentProcesses(group: string, mode: NodeMode, opts: { mgmtProfile?: boolean } = {}): AgentProcessSuite {
  const started: AgentProcess[] = [];
  // Declared before useAgents' hooks so it runs first: our own agent processes (by PID) stop before the node goes.
  afterAll(async () => {
    for (const a of started) {
      if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
      await a.exited;
    }
  });
  const s = useAgents(group, 1, { hostAgents: false, nodeMode: mode, ...opts });
  const node = () => s.t.nodes.nodes[0]!;
  const nm = mode === 'networkmanager';
  const inflightFile = () => join(s.stateDir, 'nodes', node().name, 'inflight.json');

  const startAgent = async (env: Record<string, string> = {}, opts: { onSpawn?: (agent: AgentProcess) => void } = {}): Promise<AgentProcess> => {
    const { t } = s;
    const n = node();
    let out = '';
    const child = spawn(process.execPath, [agentPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...agentProcessEnv({ info: t.cluster.info, tools: t.cluster.tools, stateDir: s.stateDir, node: n, mode }),
        KNMSTATE_PROBE_TIMEOUT_SECONDS: '3',
        KNMSTATE_PROBE_SELECT_TIMEOUT_SECONDS: '3',
        ...env,
      },
    });
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const agent = { child, output: () => out, exited };
    started.push(agent);
    opts.onSpawn?.(agent);
    await eventually(
      () => {
        if (child.exitCode !== null) throw new GiveUp(`the agent exited (${child.exitCode}): ${out}`);
        return out.includes('node agents polling');
      },
      { timeoutMs: 30_000, what: 'the agent process to poll' },
    );
    return agent;
  };

  return {
    s,
    node,
    views: async () => ({ ip: await ipView(node(), { ignoreNmRuntime: nm }), nm: await nmView(node(), s.t.cluster.tools.nmstatectl, { ignoreNmRuntime: nm }) }),
    readInflight: () => (existsSync(inflightFile()) ? (JSON.parse(readFileSync(inflightFile(), 'utf8')) as InflightRecord) : undefined),
    startAgent,
    queue: () => `knmstate.test.${group}.${s.t.cluster.run.id}`,
  };
}

/** eth0 readdressed and the default route sent to a gateway that does not exist: the ping probe fails until its timeout. */
const brokenGateway = {
  interfaces: [{ name: 'eth0', type: 'veth', state: 'up', ipv4: { enabled: true, dhcp: false, address: [{ ip: '198.51.100.202', 'prefix-length': 24 }] } }],
  routes: { config: [{ destination: '0.0.0.0/0', state: 'absent' }, { destination: '0.0.0.0/0', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.254' }] },
};

/** Graceful shutdown mid-probe, in either mode: the in-flight apply is undone within the deadline. */
export function sigtermScenario(p: AgentProcessSuite): void {
  it('given SIGTERM while the probes of a bad change run, should report healthy before, then undo the change within the shutdown deadline and exit cleanly', async () => {
    const n = p.node();
    const before = await p.views();
    // Probes may take 30 s; the deadline is 10 s: half of it grace, then the apply is cancelled and undone
    // (the exact restore of a NetworkManager-mode node, which waits for NetworkManager to let eth0 go
    // and take it back as external, took 3-4 s on a loaded 2-core machine).
    const port = await freePort();
    const agent = await p.startAgent({ KNMSTATE_PROBE_TIMEOUT_SECONDS: '30', KNMSTATE_SHUTDOWN_DEADLINE_SECONDS: '10', KNMSTATE_HEALTH_PORT: String(port) });
    const health = await eventually(() => fetch(`http://127.0.0.1:${port}/healthz`).then(async (r) => ({ status: r.status, body: (await r.json()) })), { timeoutMs: 5_000, what: 'the health endpoint' });
    expect(health).toEqual({ status: 200, body: { ok: true, nodes: { [n.name]: 'RUNNING' } } });
    const handle = await p.s.t.client.workflow.start(callNode, {
      taskQueue: p.queue(),
      workflowId: `agent-term-${randomUUID()}`,
      args: [n.name, { activity: 'applyNodeState', input: { policy: 'term', generation: 1, desiredState: brokenGateway } }, { maximumAttempts: 1 }],
    });
    try {
      await eventually(() => p.readInflight()?.phase === 'applied', { timeoutMs: 20_000, intervalMs: 20, what: 'the apply to be probing' });
      const t0 = performance.now();
      agent.child.kill('SIGTERM');
      const code = await agent.exited;
      if (code !== 0) process.stderr.write(`[crash test] agent ended with ${code ?? agent.child.signalCode}; its output:\n${agent.output()}\n`);
      expect(code).toBe(0);
      expect(performance.now() - t0).toBeLessThan(15_000);
      expect(agent.output()).toMatch(/cancelled after the apply; node put back/);
      expect(p.readInflight()).toBeUndefined();
      expect(await p.views()).toEqual(before);
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });
}
