/**
 * The node agent: idle cost of the agent process and the time of one apply cycle.
 *
 * 1. Idle: workers/node-agent.ts as its own process (configured from the environment like a real
 *    deployment) serving one simulated node, kernel mode, the real nmstatectl, NodeNetworkState on its
 *    60 s period: RSS (sampled every second) and CPU (utime+stime) over `--idle-seconds` (default 60)
 *    after a 5 s settle. Node's compile cache is on and warm (NODE_COMPILE_CACHE, warmed by a first
 *    start that is not measured), as a deployment should run it: without it, Node loads its
 *    TypeScript stripper (~17 MiB of RSS) at every start. Goal: RSS ≤ 100 MiB (an idle SDK activity worker measured ~110 MiB, the
 *    original's handler ~53 MiB). With `--hosted N` (default 100; 0 skips it) the same for one process
 *    hosting N simulated nodes (one Worker per node queue on one connection, one poller each).
 * 2. Cycle: the agent's applyNodeState in-process on one simulated node (br1 over eth1 with a static
 *    address, the four probes, commit), then revertNodeState, for `--rounds` rounds (default 20).
 *    Splits the apply into nmstatectl's time, the probes' time and knmstate's own overhead (journal,
 *    rendering, comparison: total − nmstatectl − probe phases). Goal: overhead < 50 ms.
 *
 *   node bench/agent.ts [--idle-seconds 60] [--hosted 100] [--rounds 20]
 *
 * Starts its own control plane (Temporal, etcd, kube-apiserver with the CRDs) and nodes, torn down at the end.
 */
import { parseArgs } from 'node:util';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { startCluster, type Cluster } from '../hack/cluster/cluster.ts';
import { installCrds } from '../hack/cluster/crds.ts';
import { eventually, GiveUp } from '../hack/cluster/wait.ts';
import type { SimNode } from '../hack/cluster/nodes.ts';
import { netnsExec } from '../activities/nmstate/exec.ts';
import { NmstateDriver } from '../activities/nmstate/driver.ts';
import { Journal, NodeAgent, type ApplyDurations } from '../activities/node/index.ts';
import { KubeClient } from '../activities/kube/client.ts';
import { bridgeState } from '../hack/fixtures/bridge.ts';
import { agentProcessEnv } from '../hack/cluster/agent-env.ts';

const { values } = parseArgs({ options: { 'idle-seconds': { type: 'string', default: '60' }, hosted: { type: 'string', default: '100' }, rounds: { type: 'string', default: '20' } } });
const idleSeconds = Number(values['idle-seconds']);
const hosted = Number(values.hosted);
const rounds = Number(values.rounds);
for (const [k, v] of [['--idle-seconds', idleSeconds], ['--hosted', hosted], ['--rounds', rounds]] as const) {
  if (!Number.isInteger(v) || v < 0) throw new Error(`${k} must be a non-negative integer, got ${v}`);
}

const agentPath = fileURLToPath(new URL('../workers/node-agent.ts', import.meta.url));
const compileCache = mkdtempSync(join(tmpdir(), 'knmstate-bench-compile-cache-'));
const MiB = 1024 * 1024;
const CLK_TCK = 100;
const children: ChildProcess[] = [];

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;

/** Starts the agent process with `env` and waits until it polls. */
async function startAgent(cluster: Cluster, stateDir: string, env: Record<string, string>): Promise<ChildProcess> {
  let out = '';
  const child = spawn(process.execPath, [agentPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...agentProcessEnv({ info: cluster.info, tools: cluster.tools, stateDir, mode: 'kernel' }),
      NODE_COMPILE_CACHE: compileCache,
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  children.push(child);
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  await eventually(
    () => {
      if (child.exitCode !== null) throw new GiveUp(`agent exited (${child.exitCode}): ${out}`);
      return out.includes('node agents polling');
    },
    { timeoutMs: 120_000, intervalMs: 100, what: 'the agent to poll' },
  );
  return child;
}

/** Samples RSS every second and CPU over the window. */
async function measureIdle(pid: number, seconds: number): Promise<{ rssAvg: number; rssMax: number; cpuPct: number }> {
  const rss: number[] = [];
  const c0 = cpuTicks(pid);
  const t0 = performance.now();
  for (let i = 0; i < seconds; i++) {
    rss.push(rssBytes(pid));
    await delay(1_000);
  }
  const cpuSeconds = (cpuTicks(pid) - c0) / CLK_TCK;
  const wall = (performance.now() - t0) / 1000;
  return { rssAvg: rss.reduce((a, b) => a + b, 0) / rss.length, rssMax: Math.max(...rss), cpuPct: (100 * cpuSeconds) / wall };
}

async function waitForNns(kc: KubeConfig, names: string[]): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  await eventually(
    async () => {
      const list = (await api.listClusterCustomObject({ group: 'nmstate.io', version: 'v1beta1', plural: 'nodenetworkstates' })) as { items: { metadata: { name: string }; status?: { currentState?: unknown } }[] };
      const have = new Set(list.items.filter((i) => i.status?.currentState).map((i) => i.metadata.name));
      return names.every((n) => have.has(n));
    },
    { timeoutMs: 120_000, intervalMs: 250, what: 'NodeNetworkState of every node' },
  );
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function cycle(cluster: Cluster, node: SimNode): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.info.kube.kubeconfig);
  const stateDir = mkdtempSync(join(tmpdir(), 'knmstate-bench-agent-'));
  const journal = new Journal(stateDir, node.name);
  await journal.lock();
  const agent = new NodeAgent({
    node: node.name,
    driver: new NmstateDriver({ exec: netnsExec(node.netns), binary: cluster.tools.nmstatectl, mode: 'kernel' }),
    journal,
    kube: KubeClient.fromKubeConfig(kc),
    pingBin: cluster.tools.ping,
    probes: { dns: { host: 'gateway.knmstate.test' } },
  });
  const desiredState = bridgeState({ ip: '203.0.113.31' });
  const d: ApplyDurations[] = [];
  const reverts: number[] = [];
  try {
    for (let i = 0; i < rounds + 1; i++) {
      const r = await agent.apply({ policy: 'bench', generation: i + 1, desiredState });
      const rev = await agent.revert({ policy: 'bench', generation: i + 1 });
      if (!rev.reverted) throw new Error('revert did nothing');
      if (i > 0) {
        d.push(r.durations); // round 0 warms caches
        reverts.push(rev.durationMs);
      }
    }
  } finally {
    await journal.unlock();
    rmSync(stateDir, { recursive: true, force: true });
  }
  const col = (k: keyof ApplyDurations): string => `${fmt(pct(d.map((x) => x[k]), 50))} / ${fmt(pct(d.map((x) => x[k]), 90))}`;
  console.log(`\n## apply cycle (in-process applyNodeState, kernel mode, ${rounds} rounds after 1 warm-up; median / p90)`);
  console.log(`| total | nmstatectl | probe selection | probes after | knmstate overhead | revert |`);
  console.log(`|---|---|---|---|---|---|`);
  console.log(`| ${col('totalMs')} | ${col('nmstatectlMs')} | ${col('probeSelectMs')} | ${col('probeMs')} | ${col('overheadMs')} | ${fmt(pct(reverts, 50))} / ${fmt(pct(reverts, 90))} |`);
  const over = pct(d.map((x) => x.overheadMs), 50);
  console.log(`overhead goal < 50 ms: median ${fmt(over)} (${(over / 50).toFixed(2)} of the goal); nmstatectl apply alone: median ${fmt(pct(d.map((x) => x.applyMs), 50))}`);
  console.log(JSON.stringify({ bench: 'agent-cycle', rounds, durations: d, reverts }));
}

const cluster = await startCluster({ ownerPid: process.pid });
const onSignal = (): void => {
  for (const c of children) c.kill('SIGKILL');
  void cluster.teardown().finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
try {
  await installCrds(cluster.info.kube.kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.info.kube.kubeconfig);
  const one = await cluster.addNodes({ name: 'bench-agent', count: 1, mode: 'kernel' });
  const node = one.nodes[0]!;

  // 1. Idle, one node per process (a real deployment's shape).
  const stateDir = mkdtempSync(join(tmpdir(), 'knmstate-bench-idle-'));
  const coldStart = performance.now();
  const cold = await startAgent(cluster, stateDir, { NODE_NAME: node.name, NODE_NETNS: node.netns });
  const coldMs = performance.now() - coldStart;
  const coldRss = rssBytes(cold.pid!);
  await stop(cold); // that start filled the compile cache
  const warmStart = performance.now();
  const single = await startAgent(cluster, stateDir, { NODE_NAME: node.name, NODE_NETNS: node.netns });
  const warmMs = performance.now() - warmStart;
  await delay(5_000);
  const idle1 = await measureIdle(single.pid!, idleSeconds);
  await stop(single);
  console.log(`\n## idle agent process (kernel mode, NodeNetworkState every 60 s, ${idleSeconds} s after a 5 s settle)`);
  console.log(`| nodes per process | start → polling (→ every NNS written) | RSS avg / max | CPU |`);
  console.log(`|---|---|---|---|`);
  console.log(`| 1 | ${fmt(warmMs)} | ${(idle1.rssAvg / MiB).toFixed(1)} / ${(idle1.rssMax / MiB).toFixed(1)} MiB | ${idle1.cpuPct.toFixed(2)} % of a core |`);
  let idleN: Awaited<ReturnType<typeof measureIdle>> | undefined;
  let readyN = 0;
  let pollingN = 0;
  if (hosted > 0) {
    const group = await cluster.addNodes({ name: 'bench-host', count: hosted, mode: 'kernel' });
    const dirN = mkdtempSync(join(tmpdir(), 'knmstate-bench-host-'));
    const t0 = performance.now();
    const many = await startAgent(cluster, dirN, { KNMSTATE_SIMULATED_NODES: 'knmstate.io/group=bench-host' });
    pollingN = performance.now() - t0;
    await waitForNns(kc, group.nodes.map((n) => n.name));
    readyN = performance.now() - t0;
    await delay(5_000);
    idleN = await measureIdle(many.pid!, idleSeconds);
    await stop(many);
    console.log(`| ${hosted} (one Worker each, one connection) | ${fmt(pollingN)} (→ ${fmt(readyN)}) | ${(idleN.rssAvg / MiB).toFixed(1)} / ${(idleN.rssMax / MiB).toFixed(1)} MiB (+${((idleN.rssAvg - idle1.rssAvg) / MiB / Math.max(1, hosted - 1)).toFixed(2)} MiB per node beyond the first) | ${idleN.cpuPct.toFixed(2)} % of a core |`);
    await group.teardown();
    rmSync(dirN, { recursive: true, force: true });
  }
  rmSync(stateDir, { recursive: true, force: true });
  console.log(`RSS goal ≤ 100 MiB: ${(idle1.rssAvg / MiB).toFixed(1)} MiB (${(idle1.rssAvg / MiB / 100).toFixed(2)} of the goal; upstream handler ~53 MiB, idle SDK activity worker ~110 MiB)`);
  console.log(`process start → polling: ${fmt(coldMs)} with a cold compile cache (RSS right then ${(coldRss / MiB).toFixed(1)} MiB), ${fmt(warmMs)} warm`);
  console.log(JSON.stringify({ bench: 'agent-idle', idleSeconds, single: idle1, hosted, many: idleN, pollingN, readyN, coldMs, warmMs, coldRss }));

  // 2. The apply cycle.
  await cycle(cluster, node);
} finally {
  for (const c of children) await stop(c);
  await cluster.teardown();
  rmSync(compileCache, { recursive: true, force: true });
}
