/**
 * The rollout benchmark: the real rollout path with the network change fixed at T seconds.
 *
 * Starts its own control plane (Temporal dev server, etcd, kube-apiserver with the CRDs) and, per
 * workload, N kernel-mode simulated nodes whose real node agents (bench/rollout-agents.ts, one
 * process per group of up to 200 nodes) call the stub nmstatectl (bench/nmstatectl-stub: `apply`
 * sleeps T and logs its window with the node's name). The real rollout workflow `policyRollout` runs
 * with the real cluster-side activities in a worker process of its own (bench/rollout-worker.ts); the
 * NNCP exists in the apiserver, so status and NNCE writes are part of what is measured. Engine
 * settings are the production defaults. Everything is torn down at the end, also on failure.
 *
 * Per workload (N nodes, maxUnavailable M):
 * - T1: a 1-node rollout through the same path on the workload's first node, measured alone
 *   (median of `--singles`, after one warm-up): workflow start → Completed. Its apply activity
 *   (schedule → close, from the history) is the node cycle; the rest is the rollout's fixed cost.
 * - the N-node rollout: wall from the workflow's start to Completed (and to the NNCP's Available),
 *   against the ideal ceil(N/M)·T1 (goal ≤ 1.10; ≤ 1.25 at 1000 nodes), side by side with the
 *   original kubernetes-nmstate's wall on the same workload and stub (bench/README.md);
 * - the most nodes applying at once, from the stub's log (must equal M);
 * - history: events and bytes of every run (continue-as-new included), per node;
 * - memory (RSS now / peak) and CPU of the worker process and the agent processes; machine CPU.
 *
 *   node bench/rollout.ts [--nodes N --window M] [--apply-seconds 1] [--mode kernel] [--singles 5] [--timeout-seconds S]
 *
 * Without --nodes: the workloads N=20/M=5 and N=100/M=10. `--nodes 1000 --window 100` on demand.
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { reuseConnections } from '../activities/cluster/connection-pool.ts';
import { Client, Connection } from '@temporalio/client';
import { startCluster, type Cluster } from '../hack/cluster/cluster.ts';
import { installCrds } from '../hack/cluster/crds.ts';
import type { NodeGroup } from '../hack/cluster/nodes.ts';
import type { NncpSpec } from '../crd/nncp.ts';
import { bridgeState } from '../hack/fixtures/bridge.ts';
import { activityCycles } from './rollout-history.ts';
import { BENCH_CLIENT_CHANNEL_ARGS, runRollout } from './rollout-run.ts';
import { applyWindows, appliesPerNode, maxInFlight, nodeSpans } from './rollout-stub-log.ts';
import { cpuOf, memoryOf, sampleRss, startChild, type BenchChild } from './rollout-proc.ts';
import type { AgentsConfig } from './rollout-agents.ts';

// ---- arguments ----------------------------------------------------------------------------------
const { values } = parseArgs({
  options: {
    nodes: { type: 'string' },
    window: { type: 'string' },
    'apply-seconds': { type: 'string', default: '1' },
    mode: { type: 'string', default: 'kernel' },
    singles: { type: 'string', default: '5' },
    'timeout-seconds': { type: 'string' },
  },
});
const int = (k: string, v: string | undefined, min: number, max: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${k} must be an integer ${min}..${max}, got ${v}`);
  return n;
};
if (values.mode !== 'kernel') throw new Error(`--mode: only "kernel": the stub stands in for nmstatectl's kernel mode (a NetworkManager-mode node needs the real nmstatectl: bench/nm-rollout.ts), got ${values.mode}`);
if ((values.nodes === undefined) !== (values.window === undefined)) throw new Error('--nodes and --window go together');
const workloads = values.nodes !== undefined ? [{ N: int('nodes', values.nodes, 1, 1200), M: int('window', values.window, 1, 1200) }] : [{ N: 20, M: 5 }, { N: 100, M: 10 }];
const T = Number(values['apply-seconds']);
if (!(T >= 0.05 && T <= 60)) throw new Error(`--apply-seconds must be 0.05..60, got ${values['apply-seconds']}`);
const SINGLES = int('singles', values.singles, 1, 20);
/** Give up on a rollout after this long (then it is terminated and what it did so far is printed). Default: 30 × the ideal, at least 180 s. */
const TIMEOUT_S = values['timeout-seconds'] === undefined ? undefined : int('timeout-seconds', values['timeout-seconds'], 10, 86_400);

/** Wall times of the original kubernetes-nmstate on the same workloads and stub (bench/README.md). */
const ORIGINAL: Record<string, { wall: string; ratio: string }> = {
  '20/5': { wall: '12.4–21.0 s (mean 17.6)', ratio: '3.1–5.3' },
  '100/10': { wall: '228–258 s (mean 245)', ratio: '22.8–25.8' },
};
const GROUP_SIZE = 200;
const BENCH_LABEL = 'knmstate.io/bench-rollout';
const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

// ---- small helpers ------------------------------------------------------------------------------
const s2 = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MiB`;
const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const median = (xs: readonly number[]): number => pct(xs, 50);
const dist = (xs: readonly number[]): string => `${s2(median(xs))} / ${s2(pct(xs, 90))} / ${s2(Math.max(...xs))}`;

/** The agent's own timing of an apply (ApplyNodeStateResult.durations), from the activity's result. */
type AgentDurations = Record<'totalMs' | 'renderMs' | 'probeSelectMs' | 'applyMs' | 'probeMs' | 'commitMs' | 'overheadMs', number>;
const durationsOf = (result: unknown): AgentDurations | undefined => (result as { durations?: AgentDurations } | undefined)?.durations;
/** Median of each part of the agents' timings. */
const breakdown = (ds: readonly (AgentDurations | undefined)[]): string => {
  const xs = ds.filter((d): d is AgentDurations => d !== undefined);
  if (!xs.length) return 'no timings in the results';
  const m = (k: keyof AgentDurations): string => s2(median(xs.map((d) => d[k])));
  return `total ${m('totalMs')} = render ${m('renderMs')} + probe selection ${m('probeSelectMs')} + apply ${m('applyMs')} + probes after ${m('probeMs')} + commit ${m('commitMs')} + the rest (journal, checks)`;
};

/** Each probe of an apply result: selected or not, and how long its runs before and after the change took. */
const probeLine = (result: unknown): string => {
  type Run = { ok: boolean; durationMs: number; attempts: number; message: string };
  const ps = (result as { probes?: { name: string; selected: boolean; reason?: string; before?: Run; after?: Run }[] } | undefined)?.probes;
  if (!ps) return 'no probe report';
  const run = (r: Run | undefined): string => (r ? `${r.ok ? 'ok' : 'failed'} ${s2(r.durationMs)}${r.attempts > 1 ? ` (${r.attempts} attempts)` : ''}` : '–');
  return ps.map((p) => `${p.name} ${p.selected ? 'selected' : `not selected (${p.reason ?? '?'})`}, before ${run(p.before)}, after ${run(p.after)}`).join('; ');
};

/** The policy every workload applies: a bridge over eth1 (the stub does not apply it; the agent renders, validates and checks it). */
const desiredState = { interfaces: bridgeState({ ip: false }).interfaces };
/** Probes: upstream's four with their defaults; the DNS probe resolves a name the simulated fabric answers. */
const probes: NncpSpec['probes'] = { dns: { host: 'gateway.knmstate.test' } };

// ---- the run ------------------------------------------------------------------------------------
const children: BenchChild[] = [];
const stateDir = mkdtempSync(join(tmpdir(), 'knmstate-bench-rollout-'));
let cluster: Cluster | undefined;
const stopAll = async (): Promise<void> => {
  await Promise.allSettled(children.splice(0).map((c) => c.stop(30_000)));
  await cluster?.teardown();
  rmSync(stateDir, { recursive: true, force: true });
};
process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
process.once('SIGTERM', () => void stopAll().finally(() => process.exit(143)));

const summary: string[] = [];
try {
  const tc = performance.now();
  cluster = await startCluster({ ownerPid: process.pid });
  await installCrds(cluster.info.kube.kubeconfig);
  const c = cluster;
  console.log(`control plane with CRDs in ${s2(performance.now() - tc)}; ${availableParallelism()} cores; stub apply T = ${T} s`);

  const kc = new KubeConfig();
  kc.loadFromFile(c.info.kube.kubeconfig);
  // the status polls share one connection (the client alone opens one per request)
  reuseConnections(kc);
  const objects = kc.makeApiClient(CustomObjectsApi);
  const connection = await Connection.connect({ channelArgs: BENCH_CLIENT_CHANNEL_ARGS, address: c.info.temporal.address });
  const client = new Client({ connection, namespace: c.info.temporal.namespace });
  const queue = `knmstate.bench.rollout.${c.run.id}`;
  const worker = await startChild('worker', here('./rollout-worker.ts'), {
    KNMSTATE_BENCH_TEMPORAL: c.info.temporal.address,
    KNMSTATE_BENCH_NAMESPACE: c.info.temporal.namespace,
    KNMSTATE_BENCH_QUEUE: queue,
    KNMSTATE_BENCH_KUBECONFIG: c.info.kube.kubeconfig,
  });
  children.push(worker);

  const target = { client, objects, kubeConfig: kc, queue };

  for (const { N, M } of workloads) {
    const wl = `r${N}m${M}`;
    console.log(`\n## workload N=${N}, M=${M}`);
    // Nodes: groups of up to 200 (a group's fabric bridge holds 244).
    const tn = performance.now();
    const groups: NodeGroup[] = [];
    for (let k = 0; k * GROUP_SIZE < N; k++) {
      groups.push(await c.addNodes({ name: `${wl}${String.fromCharCode(97 + k)}`, count: Math.min(GROUP_SIZE, N - k * GROUP_SIZE), mode: 'kernel', labels: { [BENCH_LABEL]: wl } }));
    }
    const nodes = groups.flatMap((g) => g.nodes);
    const nodesMs = performance.now() - tn;
    const log = join(stateDir, `${wl}.stub.log`);
    writeFileSync(log, '');
    const ta = performance.now();
    const agents = await Promise.all(
      groups.map((g) =>
        startChild(
          `agents ${g.name}`,
          here('./rollout-agents.ts'),
          {
            KNMSTATE_BENCH_AGENTS: JSON.stringify({
              temporalAddress: c.info.temporal.address,
              namespace: c.info.temporal.namespace,
              kubeconfig: c.info.kube.kubeconfig,
              nodes: g.nodes.map((n) => ({ name: n.name, netns: n.netns })),
              nmstatectl: here('./nmstatectl-stub'),
              ping: c.tools.ping,
              stateDir: join(stateDir, g.name),
            } satisfies AgentsConfig),
            NMSTATECTL_STUB_LOG: log,
            NMSTATECTL_STUB_APPLY_SECONDS: String(T),
          },
          180_000,
        ),
      ),
    );
    children.push(...agents);
    const agentsMs = performance.now() - ta;
    const agentsIdle = agents.map((a) => memoryOf(a.pid).rss);
    console.log(`${N} kernel-mode nodes in ${s2(nodesMs)}; their agents polling in ${s2(agentsMs)} (${agents.length} process${agents.length > 1 ? 'es' : ''}, idle RSS ${agentsIdle.map(mib).join(' + ')})`);

    // T1: one node alone, through the same path.
    const first = nodes[0]!.name;
    const t1Spec = (): NncpSpec => ({ nodeSelector: { 'kubernetes.io/hostname': first }, maxUnavailable: 1, probes, desiredState });
    const singles: { wallMs: number; cycleMs: number; availableMs: number | undefined; agent: AgentDurations | undefined }[] = [];
    let lastSingleResult: unknown;
    for (let i = 0; i <= SINGLES; i++) {
      const r = await runRollout(target, `${wl}-t1-${i}`, t1Spec(), { timeoutMs: 120_000 });
      if (r.error || r.outcome?.phase !== 'Completed') throw new Error(`1-node rollout ${i} did not complete: ${r.error ?? JSON.stringify(r.outcome)}`);
      const apply = r.runs.flatMap((x) => activityCycles(x.history)).find((a) => a.type === 'applyNodeState');
      lastSingleResult = apply?.result;
      if (i > 0) singles.push({ wallMs: r.wallMs, cycleMs: apply ? apply.closedMs - apply.scheduledMs : NaN, availableMs: r.availableMs, agent: durationsOf(apply?.result) });
    }
    const T1 = median(singles.map((s) => s.wallMs));
    const cycle1 = median(singles.map((s) => s.cycleMs));
    const stubWindows = applyWindows(readFileSync(log, 'utf8'));
    const stubApply = median(stubWindows.filter((w) => w.end !== undefined).map((w) => (w.end! - w.start) * 1000));
    console.log(`T = ${T} s (stub apply as logged: ${s2(stubApply)}); T1 = ${s2(T1)} (1-node rollout, start → Completed, median of ${SINGLES}: ${singles.map((s) => s2(s.wallMs)).join(', ')})`);
    console.log(`  of which the node's apply activity (schedule → close) ${s2(cycle1)}, the rollout's fixed cost (plan, first and last status write) ${s2(T1 - cycle1)}`);
    console.log(`  the activity as the agent timed it (median): ${breakdown(singles.map((x) => x.agent))}`);
    console.log(`  its probes (last 1-node rollout): ${probeLine(lastSingleResult)}`);

    // The workload.
    const logOffset = statSync(log).size;
    const pids = [worker.pid, ...agents.map((a) => a.pid)];
    // The control plane's share: Temporal, etcd and kube-apiserver of this run.
    const servers = c.run.procs().filter((p) => ['temporal', 'etcd', 'kube-apiserver'].includes(p.name));
    const cpuPids = [...pids, ...servers.map((p) => p.pid)];
    const cpu0 = new Map(cpuPids.map((p) => [p, cpuOf(p)]));
    const rss = sampleRss(pids);
    const ideal = Math.ceil(N / M) * T1;
    const r = await runRollout(target, wl, { nodeSelector: { [BENCH_LABEL]: wl }, maxUnavailable: M, probes, desiredState }, { timeoutMs: TIMEOUT_S ? TIMEOUT_S * 1000 : Math.max(180_000, 30 * ideal), progressEveryMs: ideal > 30_000 ? 15_000 : 0 });
    const peak = rss.stop();
    const cpuNow = new Map(cpuPids.map((p) => [p, cpuOf(p)]));
    const used = (p: number): { self: number; children: number } => ({ self: cpuNow.get(p)!.self - cpu0.get(p)!.self, children: cpuNow.get(p)!.children - cpu0.get(p)!.children });
    const logText = readFileSync(log, 'utf8').slice(logOffset);
    const windows = applyWindows(logText);
    const applying = maxInFlight(windows);
    const inFlight = maxInFlight(nodeSpans(logText));
    const perNode = appliesPerNode(windows);
    const cycles = r.runs.flatMap((x) => activityCycles(x.history));
    const applies = cycles.filter((a) => a.type === 'applyNodeState');
    const reports = cycles.filter((a) => a.type === 'reportStatus');
    const events = r.runs.reduce((a, x) => a + x.events, 0);
    const bytes = r.runs.reduce((a, x) => a + x.bytes, 0);
    // How long a freed slot stayed empty: from an apply's close to the next apply's schedule.
    const closes = applies.map((a) => a.closedMs).sort((a, b) => a - b);
    const refill = applies
      .map((a) => a.scheduledMs)
      .sort((a, b) => a - b)
      .slice(M)
      .map((s) => s - (closes.filter((x) => x <= s).pop() ?? s));
    const counts = r.outcome?.counts;

    console.log(r.error ? `rollout FAILED: ${r.error}` : `rollout ${r.outcome?.phase}: ${r.outcome?.message}`);
    if (r.error && r.progress) console.log(`  where it was: ${r.progress.phase}, ${JSON.stringify(r.progress.counts)}`);
    if (r.historyError) console.log(`  history not readable: ${r.historyError}`);
    for (const n of (r.progress?.nodes ?? []).filter((x) => x.lastError).slice(0, 5)) console.log(`  ${n.name}: ${n.phase} after ${n.attempts} attempt(s): ${n.lastError}`);
    console.log('| N | M | T1 | ideal ceil(N/M)·T1 | wall start → Completed | wall / ideal (goal) | start → NNCP Available | server start → close | original wall (ratio to ceil(N/M)·T) | knmstate wall / ceil(N/M)·T |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    const goal = N >= 1000 ? 1.25 : 1.1;
    const orig = ORIGINAL[`${N}/${M}`];
    const row = `| ${N} | ${M} | ${s2(T1)} | ${s2(ideal)} | ${s2(r.wallMs)} | ${(r.wallMs / ideal).toFixed(3)} (≤ ${goal}) | ${r.availableMs === undefined ? 'not seen' : s2(r.availableMs)} | ${s2(r.serverSpanMs)} | ${orig ? `${orig.wall} (${orig.ratio})` : '–'} | ${(r.wallMs / (Math.ceil(N / M) * T * 1000)).toFixed(2)} |`;
    console.log(row);
    summary.push(row);
    const stricter = T1 - cycle1 + Math.ceil(N / M) * cycle1;
    console.log(`stricter ideal (the fixed cost once + ceil(N/M) node cycles): ${s2(stricter)}, wall / it ${(r.wallMs / stricter).toFixed(3)}`);
    console.log(`nodes: ${counts ? `${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.aborted} aborted of ${counts.matched}` : '?'}; stub applies ${windows.length} on ${perNode.size} nodes (${[...perNode.values()].filter((n) => n > 1).length} nodes more than once)`);
    console.log(`most nodes in flight at once (stub log, each node from its first call to its last): ${inFlight} (M = ${M}${inFlight === M ? ', as it must' : inFlight > M ? ', MORE THAN M' : ', fewer than M'}); most in the stub's apply at once: ${applying}`);
    console.log(`node apply activity, schedule → close, median / p90 / max: ${dist(applies.map((a) => a.closedMs - a.scheduledMs))}; a freed slot refilled after median / p90 / max ${dist(refill.length ? refill : [0])}`);
    console.log(`  as the agents timed it (median): ${breakdown(applies.map((a) => durationsOf(a.result)))}`);
    console.log(`history: ${r.runs.length} run${r.runs.length > 1 ? 's (continued as new)' : ''}, ${events} events (${r.runs.map((x) => x.events).join(' + ')}), ${(bytes / 1024).toFixed(0)} KiB; per node ${(events / N).toFixed(1)} events, ${(bytes / N / 1024).toFixed(2)} KiB; status reports ${reports.length}, their inputs ${(reports.reduce((n, x) => n + x.inputBytes, 0) / 1024).toFixed(0)} KiB in all (median ${(median(reports.map((x) => x.inputBytes)) / 1024).toFixed(1)} KiB, largest ${(Math.max(0, ...reports.map((x) => x.inputBytes)) / 1024).toFixed(1)} KiB)`);
    const cores = availableParallelism();
    const agentCpu = agents.reduce((a, x) => a + used(x.pid).self, 0);
    const commandCpu = agents.reduce((a, x) => a + used(x.pid).children, 0);
    const workerCpu = used(worker.pid).self;
    const serverCpu = Object.fromEntries(servers.map((p) => [p.name, used(p.pid).self]));
    const pathCpu = agentCpu + commandCpu + workerCpu + Object.values(serverCpu).reduce((a, b) => a + b, 0);
    console.log(`CPU during the rollout: the machine ${r.machineCpu.toFixed(1)} s (wall / (machine CPU / ${cores} cores) ${(r.wallMs / 1000 / (r.machineCpu / cores)).toFixed(2)}; other engineers' work counts too)`);
    console.log(`  the rollout path itself ${pathCpu.toFixed(1)} s = ${((pathCpu / N) * 1000).toFixed(0)} ms per node: agents ${agentCpu.toFixed(1)} s + their commands (stub, ip netns exec, ping, DNS helper) ${commandCpu.toFixed(1)} s + worker ${workerCpu.toFixed(1)} s + ${Object.entries(serverCpu).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(' + ')}; its CPU floor on ${cores} cores ${s2((pathCpu / cores) * 1000)} (${((pathCpu / cores) * 1000 / ideal).toFixed(2)} of the ideal)`);
    const agentPeak = agents.reduce((a, x) => a + peak.get(x.pid)!, 0);
    console.log(`memory: worker RSS ${mib(memoryOf(worker.pid).rss)} now, ${mib(peak.get(worker.pid)!)} peak sampled, ${mib(memoryOf(worker.pid).hwm)} peak (VmHWM); agents RSS peak ${agents.map((a) => mib(peak.get(a.pid)!)).join(' + ')} = ${mib(agentPeak)} for ${N} nodes (${(agentPeak / N / 1024 / 1024).toFixed(2)} MiB per node; idle before ${mib(agentsIdle.reduce((a, b) => a + b, 0))})`);
    console.log(
      JSON.stringify({
        bench: 'rollout',
        N,
        M,
        T,
        T1,
        cycle1,
        singles,
        wallMs: r.wallMs,
        availableMs: r.availableMs,
        serverSpanMs: r.serverSpanMs,
        ideal,
        ratio: r.wallMs / ideal,
        maxInFlight: inFlight,
        maxApplying: applying,
        outcome: r.outcome,
        error: r.error,
        runs: r.runs.map((x) => ({ events: x.events, bytes: x.bytes })),
        statusReports: reports.length,
        machineCpu: r.machineCpu,
        workerCpu,
        agentCpu,
        commandCpu,
        serverCpu,
        workerRssPeak: peak.get(worker.pid),
        agentRssPeak: agentPeak,
        nodesMs,
        agentsMs,
      }),
    );

    // Free the workload's nodes and agents before the next one.
    await Promise.all(agents.map((a) => a.stop(30_000)));
    for (const a of agents) children.splice(children.indexOf(a), 1);
    for (const g of groups) await g.teardown();
  }
  console.log(`\n## summary (T = ${T} s)`);
  console.log('| N | M | T1 | ideal ceil(N/M)·T1 | wall start → Completed | wall / ideal (goal) | start → NNCP Available | server start → close | original wall (ratio to ceil(N/M)·T) | knmstate wall / ceil(N/M)·T |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const row of summary) console.log(row);
  await connection.close();
} finally {
  await stopAll();
}
