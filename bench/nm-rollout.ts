/**
 * A rollout over N NetworkManager-mode nodes with the real nmstatectl: N simulated nodes, each with its
 * own NetworkManager and D-Bus, their agents hosted in this process (one Worker per node queue on one
 * connection, as `KNMSTATE_SIMULATED_NODES` hosts them), and the real rollout workflow
 * `policyRollout` with the real cluster-side activities (a worker process of its own,
 * bench/rollout-worker.ts) rolling out one NNCP, br1 over eth1 (no IP), with maxUnavailable M: a
 * sliding window of M nodes at a time. Each node's apply is the agent's full cycle: snapshot, probes
 * selected, `apply --no-commit --timeout T`, probes, `commit`.
 *
 * T (the single-node cycle) is measured first through the same path: a 1-node rollout (workflow start →
 * Completed) on each of `--single` nodes (median), the node reverted after; ideal = ceil(N / M) · T,
 * the time if M nodes ran at once as fast as one alone. Printed: wall against that ideal and against
 * the CPU-bound floor, the per-node apply activity (schedule → close, median / p90 / max), failures,
 * and node memory (Pss and Rss of NetworkManager + dbus-daemon per node, and the agent process's RSS
 * for all N). NodeNetworkState reporting is off (it is not part of a rollout).
 *
 *   node bench/nm-rollout.ts [--nodes 100] [--window 10] [--single 5]
 *
 * Starts its own control plane and nodes, torn down at the end.
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { reuseConnections } from '../activities/cluster/connection-pool.ts';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startCluster } from '../hack/cluster/cluster.ts';
import { installCrds } from '../hack/cluster/crds.ts';
import { nodeNmMemory } from '../hack/cluster/networkmanager.ts';
import { startNodeAgents } from '../workers/node-agent-host.ts';
import { KubeClient } from '../activities/kube/client.ts';
import { bridgeState } from '../hack/fixtures/bridge.ts';
import { uniformProbeSettings } from '../crd/probes.ts';
import type { NncpSpec } from '../crd/nncp.ts';
import { activityCycles } from './rollout-history.ts';
import { startChild } from './rollout-proc.ts';
import { BENCH_CLIENT_CHANNEL_ARGS, runRollout } from './rollout-run.ts';

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
const s1 = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
/** One policy for every node, so no per-node address: br1 over eth1 with IPv4 and IPv6 off; probes with the 30 s timeout the agents had before. */
const policySpec = (nodeSelector: Record<string, string>, maxUnavailable: number): NncpSpec => ({
  nodeSelector,
  maxUnavailable,
  desiredState: { interfaces: bridgeState({ ip: false, ipv6: false }).interfaces },
  probes: { ping: { timeout: '30s' }, dns: { host: 'gateway.knmstate.test', timeout: '30s' }, apiServer: { timeout: '30s' }, nodeReadiness: { timeout: '30s' } },
});

Runtime.install({ logger: new DefaultLogger('WARN') });
const cluster = await startCluster({ ownerPid: process.pid });
process.once('SIGINT', () => void cluster.teardown().finally(() => process.exit(130)));
await installCrds(cluster.info.kube.kubeconfig);
const stateDir = mkdtempSync(join(tmpdir(), 'knmstate-bench-rollout-'));
try {
  const tg = performance.now();
  const group = await cluster.addNodes({ name: 'bench-roll', count: N, mode: 'networkmanager' });
  const groupMs = performance.now() - tg;
  const names = group.nodes.map((n) => n.name);

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
  const worker = await startChild('worker', fileURLToPath(new URL('./rollout-worker.ts', import.meta.url)), {
    KNMSTATE_BENCH_TEMPORAL: cluster.info.temporal.address,
    KNMSTATE_BENCH_NAMESPACE: cluster.info.temporal.namespace,
    KNMSTATE_BENCH_QUEUE: queue,
    KNMSTATE_BENCH_KUBECONFIG: cluster.info.kube.kubeconfig,
  });
  const connection = await Connection.connect({ channelArgs: BENCH_CLIENT_CHANNEL_ARGS, address: cluster.info.temporal.address });
  const client = new Client({ connection, namespace: cluster.info.temporal.namespace });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.info.kube.kubeconfig);
  // the status polls share one connection (the client alone opens one per request)
  reuseConnections(kc);
  const target = { client, objects: kc.makeApiClient(CustomObjectsApi), kubeConfig: kc, queue };
  /** A 1-node rollout of `node` (policy `name`), then the node put back so the big rollout changes it too. */
  const single = async (name: string, node: string): Promise<number> => {
    const r = await runRollout(target, name, policySpec({ 'kubernetes.io/hostname': node }, 1), { timeoutMs: 300_000 });
    if (r.outcome?.phase !== 'Completed') throw new Error(`single-node rollout on ${node} did not complete: ${r.error ?? r.outcome?.message}; ${JSON.stringify(r.progress?.nodes)}`);
    await agents.node(node).agent.revert({ policy: name, generation: 1 });
    return r.wallMs;
  };
  try {
    console.log(`${N} NetworkManager nodes ready in ${s1(groupMs)}; ${N} agents polling in ${s1(agentsMs)}`);
    // T: one node alone, through the same path; one warm-up, then S nodes one after another.
    await single('bench-warm-up', names[0]!);
    const singles: number[] = [];
    for (let i = 0; i < S; i++) singles.push(await single(`bench-single-${i}`, names[i]!));
    const T = pct(singles, 50);
    console.log(`single-node cycle T (1-node rollout: workflow start → node applied, probed, committed → status written → Completed; median of ${S}): ${s1(T)} (min ${s1(Math.min(...singles))}, max ${s1(Math.max(...singles))})`);

    const cpu0 = process.cpuUsage();
    const r = await runRollout(target, 'bench-rollout', policySpec({ 'knmstate.io/group': group.name }, M), { timeoutMs: 900_000, progressEveryMs: 15_000 });
    const machineCpu = r.machineCpu;
    const cpu = process.cpuUsage(cpu0);
    const ideal = Math.ceil(N / M) * T;
    const applies = r.runs.flatMap((x) => activityCycles(x.history)).filter((a) => a.type === 'applyNodeState');
    const agentMs = applies.filter((a) => a.ok).map((a) => a.closedMs - a.scheduledMs);
    const ok = { length: r.outcome?.counts.succeeded ?? 0 };
    const failed = (r.progress?.nodes ?? []).filter((n) => n.phase === 'Failed').map((n) => ({ node: n.name, error: n.lastError }));
    if (r.error || r.outcome?.phase !== 'Completed') console.log(`rollout did not complete: ${r.error ?? `${r.outcome?.phase}: ${r.outcome?.message}`}`);
    console.log(`\n## rollout: ${N} nodes, window M=${M}`);
    console.log('| wall | ideal ceil(N/M)·T | wall / ideal | per-node apply activity (schedule → close) median / p90 / max | ok | failed |');
    console.log('|---|---|---|---|---|---|');
    console.log(`| ${s1(r.wallMs)} | ${s1(ideal)} | ${(r.wallMs / ideal).toFixed(2)} | ${s1(pct(agentMs, 50))} / ${s1(pct(agentMs, 90))} / ${s1(Math.max(...agentMs))} | ${ok.length} | ${failed.length} |`);
    for (const f of failed.slice(0, 5)) console.log(`  failed: ${f.node}: ${f.error}`);
    const cores = availableParallelism();
    console.log(`CPU during the rollout: the machine ${machineCpu.toFixed(1)} s (${(machineCpu / N).toFixed(2)} s per node; CPU-bound floor ${(machineCpu / cores).toFixed(1)} s on ${cores} cores, wall / floor ${(r.wallMs / 1000 / (machineCpu / cores)).toFixed(2)}), of which this process (agents + client) ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s; other work on the machine counts too`);

    const mem = names.map((n) => nodeNmMemory(cluster.run, n));
    const avg = (f: (m: (typeof mem)[number]) => number): number => mem.reduce((a, m) => a + f(m), 0) / mem.length / 1024;
    console.log(`\n## node memory after the rollout (br1 committed on every node), per node`);
    console.log(`NetworkManager + dbus-daemon: Pss ${avg((m) => m.nmPssKiB + m.busPssKiB).toFixed(1)} MiB (NetworkManager ${avg((m) => m.nmPssKiB).toFixed(1)}, bus ${avg((m) => m.busPssKiB).toFixed(1)}); Rss ${avg((m) => m.nmRssKiB + m.busRssKiB).toFixed(1)} MiB`);
    console.log(`agent process hosting all ${N} node agents: RSS ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB (${(process.memoryUsage().rss / 1024 / 1024 / N).toFixed(2)} MiB per node; includes the client, not the workflow worker)`);
    console.log(JSON.stringify({ bench: 'nm-rollout', N, M, T, singles, wallMs: r.wallMs, ideal, agentMs, failed: failed.length, groupMs, agentsMs, machineCpu, mem }));
  } finally {
    await worker.stop();
    await agents.shutdown();
    await connection.close();
    await native.close();
    kube.close();
  }
} finally {
  await cluster.teardown();
  rmSync(stateDir, { recursive: true, force: true });
}
