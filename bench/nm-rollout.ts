/**
 * A rollout over N NetworkManager-mode nodes with the real nmstatectl: N simulated nodes, each with its
 * own NetworkManager and D-Bus, their agents hosted in this process (one Worker per node queue on one
 * connection, as `KNMSTATE_SIMULATED_NODES` hosts them), and the benchmark-only workflow
 * bench/nm-rollout-workflow.ts applying br1 over eth1 (a static address per node) with a sliding
 * window of M nodes at a time. Each node's apply is the agent's full cycle: snapshot, probes selected,
 * `apply --no-commit --timeout T`, probes, `commit`.
 *
 * T (the single-node cycle) is measured first through the same workflow, one node at a time, on
 * `--single` nodes (median); ideal = ceil(N / M) · T, the time if M nodes ran at once as fast as one
 * alone. Printed: wall against that ideal, the agents' own per-node apply times (median / p90 / max),
 * failures, and node memory (Pss and Rss of NetworkManager + dbus-daemon per node, and the agent
 * process's RSS for all N). NodeNetworkState reporting is off (it is not part of a rollout).
 *
 *   node bench/nm-rollout.ts [--nodes 100] [--window 10] [--single 5]
 *
 * Starts its own control plane and nodes, torn down at the end.
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startCluster } from '../hack/cluster/cluster.ts';
import { nodeNmMemory } from '../hack/cluster/networkmanager.ts';
import { startNodeAgents } from '../workers/node-agent-host.ts';
import { KubeClient } from '../activities/kube/client.ts';
import { bridgeState } from '../hack/fixtures/bridge.ts';
import { uniformProbeSettings } from '../crd/probes.ts';
import type { NetworkState } from '../activities/nmstate/types.ts';
import { benchRollout } from './nm-rollout-workflow.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '100' }, window: { type: 'string', default: '10' }, single: { type: 'string', default: '5' } } });
const N = Number(values.nodes);
const M = Number(values.window);
const S = Number(values.single);
for (const [k, v, max] of [['--nodes', N, 120], ['--window', M, 1000], ['--single', S, 20]] as const) {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${k} must be an integer 1..${max}, got ${v}`);
}
if (S > N) throw new Error(`--single (${S}) must not exceed --nodes (${N})`);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
/** CPU seconds the whole machine spent (user + nice + system + irq + softirq), from /proc/stat. */
function machineCpuSeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) / 100;
}
const s1 = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const bridge = (i: number): NetworkState => bridgeState({ ip: `203.0.113.${1 + i}` });

Runtime.install({ logger: new DefaultLogger('WARN') });
const cluster = await startCluster({ ownerPid: process.pid });
process.once('SIGINT', () => void cluster.teardown().finally(() => process.exit(130)));
const stateDir = mkdtempSync(join(tmpdir(), 'knmstate-bench-rollout-'));
try {
  const tg = performance.now();
  const group = await cluster.addNodes({ name: 'bench-roll', count: N, mode: 'networkmanager' });
  const groupMs = performance.now() - tg;
  const names = group.nodes.map((n) => n.name);
  const states = Object.fromEntries(group.nodes.map((n) => [n.name, bridge(n.index)]));

  const native = await NativeConnection.connect({ address: cluster.info.temporal.address });
  const kube = KubeClient.fromKubeconfigFile(cluster.info.kube.kubeconfig);
  const ta = performance.now();
  const agents = await startNodeAgents({
    connection: native,
    namespace: cluster.info.temporal.namespace,
    kube,
    nodes: group.nodes.map((n) => ({ name: n.name, netns: n.netns, mode: n.mode, env: { DBUS_SYSTEM_BUS_ADDRESS: n.dbusAddress! } })),
    nmstatectl: cluster.tools.nmstatectl,
    ping: cluster.tools.ping,
    mode: 'networkmanager',
    stateDir,
    probes: uniformProbeSettings({ dnsHost: 'gateway.knmstate.test', timeoutMs: 30_000, selectTimeoutMs: 10_000, intervalMs: 500 }),
    nns: { enabled: false },
  });
  const agentsMs = performance.now() - ta;
  const queue = `knmstate.bench.rollout.${cluster.run.id}`;
  const worker = await Worker.create({ connection: native, namespace: cluster.info.temporal.namespace, taskQueue: queue, workflowsPath: fileURLToPath(new URL('./nm-rollout-workflow.ts', import.meta.url)) });
  const running = worker.run();
  const connection = await Connection.connect({ address: cluster.info.temporal.address });
  const client = new Client({ connection, namespace: cluster.info.temporal.namespace });
  const rollout = async (nodes: string[], window: number, generation: number) => {
    const t0 = performance.now();
    const r = await client.workflow.execute(benchRollout, { taskQueue: queue, workflowId: `bench-rollout-${generation}-${nodes.length}`, args: [nodes, window, 'bench', generation, states] });
    return { wallMs: performance.now() - t0, outcomes: r };
  };
  try {
    console.log(`${N} NetworkManager nodes ready in ${s1(groupMs)}; ${N} agents polling in ${s1(agentsMs)}`);
    // T: one node alone, through the same workflow; one warm-up, then S nodes one after another.
    await rollout([names[0]!], 1, 1);
    await agents.node(names[0]!).agent.revert({ policy: 'bench', generation: 1 });
    const singles: number[] = [];
    for (let i = 0; i < S; i++) {
      const r = await rollout([names[i]!], 1, 2 + i);
      if (!r.outcomes[0]!.ok) throw new Error(`single-node cycle failed: ${r.outcomes[0]!.error}`);
      singles.push(r.wallMs);
      await agents.node(names[i]!).agent.revert({ policy: 'bench', generation: 2 + i });
    }
    const T = pct(singles, 50);
    console.log(`single-node cycle T (workflow → agent → apply + probes + commit → workflow; median of ${S}): ${s1(T)} (min ${s1(Math.min(...singles))}, max ${s1(Math.max(...singles))})`);

    const cpu0 = process.cpuUsage();
    const m0 = machineCpuSeconds();
    const r = await rollout(names, M, 100);
    const machineCpu = machineCpuSeconds() - m0;
    const cpu = process.cpuUsage(cpu0);
    const ok = r.outcomes.filter((o) => o.ok);
    const failed = r.outcomes.filter((o) => !o.ok);
    const ideal = Math.ceil(N / M) * T;
    const agentMs = ok.map((o) => o.agentMs!);
    console.log(`\n## rollout: ${N} nodes, window M=${M}`);
    console.log('| wall | ideal ceil(N/M)·T | wall / ideal | per-node apply (agent) median / p90 / max | ok | failed |');
    console.log('|---|---|---|---|---|---|');
    console.log(`| ${s1(r.wallMs)} | ${s1(ideal)} | ${(r.wallMs / ideal).toFixed(2)} | ${s1(pct(agentMs, 50))} / ${s1(pct(agentMs, 90))} / ${s1(Math.max(...agentMs))} | ${ok.length} | ${failed.length} |`);
    for (const f of failed.slice(0, 5)) console.log(`  failed: ${f.node}: ${f.error}`);
    const cores = availableParallelism();
    console.log(`CPU during the rollout: the machine ${machineCpu.toFixed(1)} s (${(machineCpu / N).toFixed(2)} s per node; CPU-bound floor ${(machineCpu / cores).toFixed(1)} s on ${cores} cores, wall / floor ${(r.wallMs / 1000 / (machineCpu / cores)).toFixed(2)}), of which this process (agents + workflow worker + client) ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s; other work on the machine counts too`);

    const mem = names.map((n) => nodeNmMemory(cluster.run, n));
    const avg = (f: (m: (typeof mem)[number]) => number): number => mem.reduce((a, m) => a + f(m), 0) / mem.length / 1024;
    console.log(`\n## node memory after the rollout (br1 committed on every node), per node`);
    console.log(`NetworkManager + dbus-daemon: Pss ${avg((m) => m.nmPssKiB + m.busPssKiB).toFixed(1)} MiB (NetworkManager ${avg((m) => m.nmPssKiB).toFixed(1)}, bus ${avg((m) => m.busPssKiB).toFixed(1)}); Rss ${avg((m) => m.nmRssKiB + m.busRssKiB).toFixed(1)} MiB`);
    console.log(`agent process hosting all ${N} node agents: RSS ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB (${(process.memoryUsage().rss / 1024 / 1024 / N).toFixed(2)} MiB per node; includes the workflow worker and the client)`);
    console.log(JSON.stringify({ bench: 'nm-rollout', N, M, T, singles, wallMs: r.wallMs, ideal, agentMs, failed: failed.length, groupMs, agentsMs, machineCpu, mem }));
  } finally {
    worker.shutdown();
    await running;
    await agents.shutdown();
    await connection.close();
    await native.close();
    kube.close();
  }
} finally {
  await cluster.teardown();
  rmSync(stateDir, { recursive: true, force: true });
}
