/**
 * The node agent as a separate process (workers/node-agent.ts, configured from the environment)
 * killed mid-apply: SIGKILL while nmstatectl is applying (a crash: the orphaned nmstatectl keeps
 * going), and SIGTERM while probing (graceful shutdown: the in-flight apply is undone within the
 * deadline). Either way the node must end equal to its state before, and the Temporal retry must
 * end cleanly.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { runInNode } from '../../hack/cluster/nodes.ts';
import { eventually, GiveUp } from '../../hack/cluster/wait.ts';
import type { ApplyFailureDetails } from '../../activities/node/types.ts';
import type { InflightRecord } from '../../activities/node/journal.ts';
import { callNode } from './workflows.ts';
import { ipView, nmView, useAgents } from './support.ts';

interface Agent {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}
const started: Agent[] = [];
// Declared before useAgents' hooks so it runs first: our own agent processes (by PID) stop before the node goes.
afterAll(async () => {
  for (const a of started) {
    if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
    await a.exited;
  }
});

const s = useAgents('agent-crash', 1, { hostAgents: false });
const node = () => s.t.nodes.nodes[0]!;
const views = async () => ({ ip: await ipView(node()), nm: await nmView(node(), s.t.cluster.tools.nmstatectl) });
const agentPath = fileURLToPath(new URL('../../workers/node-agent.ts', import.meta.url));
const inflightFile = () => join(s.stateDir, 'nodes', node().name, 'inflight.json');
const readInflight = (): InflightRecord | undefined => (existsSync(inflightFile()) ? (JSON.parse(readFileSync(inflightFile(), 'utf8')) as InflightRecord) : undefined);

/** A TCP port nobody listens on right now. */
function freePort(): Promise<number> {
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
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Starts workers/node-agent.ts for the suite's node, as a real deployment would (env only). */
async function startAgent(env: Record<string, string> = {}): Promise<Agent> {
  const { t } = s;
  let out = '';
  const child = spawn(process.execPath, [agentPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      NODE_NAME: node().name,
      NODE_NETNS: node().netns,
      KNMSTATE_NMSTATE_MODE: 'kernel',
      KNMSTATE_NMSTATECTL: t.cluster.tools.nmstatectl,
      KNMSTATE_PING: t.cluster.tools.ping,
      KNMSTATE_STATE_DIR: s.stateDir,
      TEMPORAL_ADDRESS: t.cluster.info.temporal.address,
      TEMPORAL_NAMESPACE: t.cluster.info.temporal.namespace,
      KUBECONFIG: t.cluster.info.kube.kubeconfig,
      KNMSTATE_HEALTH_PORT: '0',
      PROBE_DNS_HOST: 'gateway.knmstate.test',
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
  await eventually(
    () => {
      if (child.exitCode !== null) throw new GiveUp(`the agent exited (${child.exitCode}): ${out}`);
      return out.includes('node agents polling');
    },
    { timeoutMs: 30_000, what: 'the agent process to poll' },
  );
  return agent;
}

/** A bridge over eth2 with eth2 listed as up: verification fails after ~4 s while eth2 has no carrier. */
const deadPortBridge = {
  interfaces: [
    { name: 'br3', type: 'linux-bridge', state: 'up', ipv4: { enabled: true, dhcp: false, address: [{ ip: '203.0.113.23', 'prefix-length': 24 }] }, bridge: { options: { stp: { enabled: false } }, port: [{ name: 'eth2' }] } },
    { name: 'eth2', type: 'veth', state: 'up' },
  ],
};

/** eth0 readdressed and the default route sent to a gateway that does not exist: the ping probe fails until its timeout. */
const brokenGateway = {
  interfaces: [{ name: 'eth0', type: 'veth', state: 'up', ipv4: { enabled: true, dhcp: false, address: [{ ip: '198.51.100.202', 'prefix-length': 24 }] } }],
  routes: { config: [{ destination: '0.0.0.0/0', state: 'absent' }, { destination: '0.0.0.0/0', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.254' }] },
};

describe('node agent process: crash and shutdown mid-apply', () => {
  it('given the agent killed with SIGKILL while nmstatectl applies, should on restart wait for the orphaned nmstatectl, undo it, and let the Temporal retry end in a clean state', async () => {
    const n = node();
    await s.t.nodes.inFabric('ip', ['link', 'set', `b${n.index}`, 'down']);
    try {
      await eventually(async () => String((await runInNode(n, 'ip', ['link', 'show', 'eth2'])).stdout).includes('NO-CARRIER'), { timeoutMs: 5_000, what: 'eth2 without carrier' });
      const before = await views();
      const first = await startAgent();
      const handle = await s.t.client.workflow.start(callNode, {
        taskQueue: `knmstate.test.agent-crash.${s.t.cluster.run.id}`,
        workflowId: `agent-crash-${randomUUID()}`,
        args: [n.name, { activity: 'applyNodeState', input: { policy: 'crash', generation: 1, desiredState: deadPortBridge } }, { maximumAttempts: 2, heartbeatTimeout: '3s' }],
      });
      // Mid-apply: the journal names the running nmstatectl.
      const rec = await eventually(() => {
        const r = readInflight();
        return r?.phase === 'applying' && r.childPid ? r : undefined;
      }, { timeoutMs: 20_000, intervalMs: 20, what: 'nmstatectl apply in progress' });
      first.child.kill('SIGKILL');
      await first.exited;
      const orphanAlive = running(rec.childPid!);

      const second = await startAgent();
      expect(second.output()).toMatch(/finished or undid a half-done attempt at start-up/);
      expect(running(rec.childPid!)).toBe(false);

      // Attempt 1 times out (no heartbeat); attempt 2 runs on the restarted agent and fails verification again, cleanly.
      const r = await handle.result();
      expect(r).toMatchObject({ ok: false, type: 'VerificationFailed' });
      if (!r.ok) expect((r.details as ApplyFailureDetails).remainingDifferences).toEqual([]);
      expect(readInflight()).toBeUndefined();
      expect(await views()).toEqual(before);
      // Reported for the record: whether the orphan was still running when the agent died.
      process.stderr.write(`[crash test] orphaned nmstatectl alive after SIGKILL: ${orphanAlive}\n`);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      await s.t.nodes.inFabric('ip', ['link', 'set', `b${n.index}`, 'up']);
    }
  });

  it('given SIGTERM while the probes of a bad change run, should report healthy before, then undo the change within the shutdown deadline and exit cleanly', async () => {
    const n = node();
    const before = await views();
    // Probes may take 30 s; the deadline is 4 s: 2 s grace, then the apply is cancelled and undone.
    const port = await freePort();
    const agent = await startAgent({ KNMSTATE_PROBE_TIMEOUT_SECONDS: '30', KNMSTATE_SHUTDOWN_DEADLINE_SECONDS: '4', KNMSTATE_HEALTH_PORT: String(port) });
    const health = await eventually(() => fetch(`http://127.0.0.1:${port}/healthz`).then(async (r) => ({ status: r.status, body: (await r.json()) })), { timeoutMs: 5_000, what: 'the health endpoint' });
    expect(health).toEqual({ status: 200, body: { ok: true, nodes: { [n.name]: 'RUNNING' } } });
    const handle = await s.t.client.workflow.start(callNode, {
      taskQueue: `knmstate.test.agent-crash.${s.t.cluster.run.id}`,
      workflowId: `agent-term-${randomUUID()}`,
      args: [n.name, { activity: 'applyNodeState', input: { policy: 'term', generation: 1, desiredState: brokenGateway } }, { maximumAttempts: 1 }],
    });
    try {
      await eventually(() => readInflight()?.phase === 'applied', { timeoutMs: 20_000, intervalMs: 20, what: 'the apply to be probing' });
      const t0 = performance.now();
      agent.child.kill('SIGTERM');
      const code = await agent.exited;
      if (code !== 0) process.stderr.write(`[crash test] agent ended with ${code ?? agent.child.signalCode}; its output:\n${agent.output()}\n`);
      expect(code).toBe(0);
      expect(performance.now() - t0).toBeLessThan(9_000);
      expect(agent.output()).toMatch(/cancelled after the apply; node put back/);
      expect(readInflight()).toBeUndefined();
      expect(await views()).toEqual(before);
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });
});
