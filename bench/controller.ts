/**
 * The controller benchmark: how fast `kubectl apply` reaches a node, and many policies at once.
 *
 * Starts its own control plane (Temporal dev server, etcd, kube-apiserver with the CRDs), N
 * kernel-mode simulated nodes whose real node agents (bench/rollout-agents.ts, one process) call the
 * stub nmstatectl (bench/nmstatectl-stub: every call logged with the node's name and a ns-precision
 * time; `apply` sleeps T), and the real controller process (workers/controller.ts, configured from
 * its environment with the production defaults: informers, rollout worker, cluster activities), so
 * its memory is measured alone. Everything is torn down at the end, also on failure.
 *
 * 1. Reaction: P policies one after another, each selecting one node (round robin), each created
 *    with the API call `kubectl apply` makes; from the create call's response to (a) the node's first
 *    nmstatectl call (the node apply activity starting on the node: its snapshot `show`) and (b) the
 *    stub's `apply` (the network change, after the agent's render and probe selection); p50 and p99.
 *    The next policy is created once the previous one is Available, so no node is busy.
 * 2. Burst: Q policies × all N nodes created at once (upstream's default maxUnavailable, 50 %): wall
 *    time until every policy is Available, each node's applies counted and checked one at a time on
 *    the stub's log, the controller's RSS (sampled every second) and CPU, and its own /metrics.
 *
 *   node bench/controller.ts [--nodes 20] [--reactions 50] [--policies 50] [--apply-seconds 0.2] [--probes on|off] [--timeout-seconds 1800]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { reuseConnections } from '../activities/cluster/connection-pool.ts';
import { startCluster, type Cluster } from '../hack/cluster/cluster.ts';
import { installCrds } from '../hack/cluster/crds.ts';
import { NNCP, type NncpSpec, type NodeNetworkConfigurationPolicy } from '../crd/nncp.ts';
import { createPolicy } from './rollout-run.ts';
import { cpuOf, memoryOf, sampleRss, startChild, type BenchChild } from './rollout-proc.ts';
import { applyWindows, maxInFlight } from './rollout-stub-log.ts';
import type { AgentsConfig } from './rollout-agents.ts';

// ---- arguments ----------------------------------------------------------------------------------
const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '20' },
    reactions: { type: 'string', default: '50' },
    policies: { type: 'string', default: '50' },
    'apply-seconds': { type: 'string', default: '0.2' },
    probes: { type: 'string', default: 'on' },
    'timeout-seconds': { type: 'string', default: '1800' },
  },
});
const int = (k: string, v: string | undefined, min: number, max: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${k} must be an integer ${min}..${max}, got ${v}`);
  return n;
};
const N = int('nodes', values.nodes, 1, 200);
const P = int('reactions', values.reactions, 0, 1000);
const Q = int('policies', values.policies, 0, 1000);
const T = Number(values['apply-seconds']);
if (!(T >= 0 && T <= 60)) throw new Error(`--apply-seconds must be 0..60, got ${values['apply-seconds']}`);
if (values.probes !== 'on' && values.probes !== 'off') throw new Error(`--probes must be on or off, got ${values.probes}`);
const TIMEOUT_MS = int('timeout-seconds', values['timeout-seconds'], 10, 86_400) * 1000;
const WARMUP = 2;
const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
const BENCH_LABEL = 'knmstate.io/bench-controller';

// ---- helpers ------------------------------------------------------------------------------------
const ms = (x: number): string => `${x.toFixed(0)} ms`;
const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MiB`;
const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
/** Polls `fn` every `everyMs` until it returns a truthy value or `timeoutMs` passed. */
async function until<T>(fn: () => Promise<T> | T, timeoutMs: number, what: string, everyMs = 20): Promise<Exclude<T, false | undefined | null>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as Exclude<T, false | undefined | null>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The stub's log lines since `offset`: `{ t (unix ms), node, event }`. */
function stubLines(log: string, offset: number): { t: number; node: string; event: string }[] {
  const text = readFileSync(log, 'utf8').slice(offset);
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && Number.isFinite(Number(f[0])))
    .map((f) => ({ t: Number(f[0]) * 1000, node: f[1]!, event: f[2]! }));
}

const bridge = (name: string): NncpSpec['desiredState'] => ({ interfaces: [{ name, type: 'linux-bridge', state: 'up', bridge: { options: { stp: { enabled: false } }, port: [] } }] });
/** Upstream's four probes (the DNS one on a name the simulated fabric answers), or none. */
const probes: NncpSpec['probes'] =
  values.probes === 'on' ? { dns: { host: 'gateway.knmstate.test' } } : { ping: { enabled: false }, dns: { enabled: false }, apiServer: { enabled: false }, nodeReadiness: { enabled: false } };

const available = (o: NodeNetworkConfigurationPolicy | undefined): boolean =>
  !!o?.status && (o.status.observedGeneration ?? 0) >= (o.metadata.generation ?? 1) && !!o.status.conditions?.some((c) => c.type === 'Available' && c.status === 'True');

// ---- the run ------------------------------------------------------------------------------------
const stateDir = mkdtempSync(join(tmpdir(), 'knmstate-bench-controller-'));
const children: BenchChild[] = [];
let controller: ChildProcess | undefined;
let cluster: Cluster | undefined;
const stopController = async (): Promise<void> => {
  const p = controller;
  controller = undefined;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 40_000);
  await exited;
  clearTimeout(timer);
};
const stopAll = async (): Promise<void> => {
  await stopController();
  await Promise.allSettled(children.splice(0).map((c) => c.stop(30_000)));
  await cluster?.teardown();
  rmSync(stateDir, { recursive: true, force: true });
};
process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
process.once('SIGTERM', () => void stopAll().finally(() => process.exit(143)));

try {
  const tc = performance.now();
  cluster = await startCluster({ ownerPid: process.pid });
  const c = cluster;
  await installCrds(c.info.kube.kubeconfig);
  console.log(`control plane with CRDs in ${((performance.now() - tc) / 1000).toFixed(1)} s; ${availableParallelism()} cores; ${N} nodes, stub apply T = ${T} s, probes ${values.probes}`);
  const kc = new KubeConfig();
  kc.loadFromFile(c.info.kube.kubeconfig);
  // the status polls share one connection (the client alone opens one per request)
  reuseConnections(kc);
  const objects = kc.makeApiClient(CustomObjectsApi);
  const getPolicy = async (name: string): Promise<NodeNetworkConfigurationPolicy | undefined> => {
    try {
      return (await objects.getClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name })) as NodeNetworkConfigurationPolicy;
    } catch {
      return undefined;
    }
  };

  // Nodes and their agents.
  const group = await c.addNodes({ name: 'bctl', count: N, mode: 'kernel', labels: { [BENCH_LABEL]: 'all' } });
  const nodes = group.nodes.map((n) => n.name);
  const log = join(stateDir, 'stub.log');
  writeFileSync(log, '');
  children.push(
    await startChild(
      'agents',
      here('./rollout-agents.ts'),
      {
        KNMSTATE_BENCH_AGENTS: JSON.stringify({
          temporalAddress: c.info.temporal.address,
          namespace: c.info.temporal.namespace,
          kubeconfig: c.info.kube.kubeconfig,
          nodes: group.nodes.map((n) => ({ name: n.name, netns: n.netns })),
          nmstatectl: here('./nmstatectl-stub'),
          ping: c.tools.ping,
          stateDir: join(stateDir, 'agents'),
        } satisfies AgentsConfig),
        NMSTATECTL_STUB_LOG: log,
        NMSTATECTL_STUB_APPLY_SECONDS: String(T),
      },
      180_000,
    ),
  );

  // The controller process, as deployed (production engine defaults), logs to a file.
  const [healthPort, metricsPort] = [await freePort(), await freePort()];
  const controllerLog = join(stateDir, 'controller.log');
  const out = createWriteStream(controllerLog);
  const t0c = performance.now();
  controller = spawn(process.execPath, [fileURLToPath(new URL('../workers/controller.ts', import.meta.url))], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      KUBECONFIG: c.info.kube.kubeconfig,
      TEMPORAL_ADDRESS: c.info.temporal.address,
      TEMPORAL_NAMESPACE: c.info.temporal.namespace,
      KNMSTATE_TASK_QUEUE: `knmstate.bench.controller.${c.run.id}`,
      KNMSTATE_HEALTH_PORT: String(healthPort),
      KNMSTATE_METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
    },
  });
  controller.stdout!.pipe(out);
  controller.stderr!.pipe(out);
  const cpid = controller.pid!;
  await until(async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined))?.status === 200, 120_000, 'the controller ready', 100);
  console.log(`controller process ready in ${((performance.now() - t0c) / 1000).toFixed(1)} s (RSS ${mib(memoryOf(cpid).rss)})`);

  // 1. Reaction.
  if (P > 0) {
    const toFirstCall: number[] = [];
    const toApply: number[] = [];
    const createMs: number[] = [];
    for (let i = 0; i < P + WARMUP; i++) {
      const node = nodes[i % nodes.length]!;
      const name = `react-${i}`;
      const offset = statSync(log).size;
      const tReq = Date.now();
      await createPolicy(objects, name, { nodeSelector: { 'kubernetes.io/hostname': node }, maxUnavailable: 1, probes, desiredState: bridge(`brr${i}`) });
      const tResp = Date.now();
      const lines = await until(() => {
        const ls = stubLines(log, offset).filter((l) => l.node === node);
        return ls.some((l) => l.event === 'apply-start') && ls;
      }, 60_000, `${name}: the apply on ${node}`, 5);
      await until(async () => available(await getPolicy(name)), 60_000, `${name} Available`, 50);
      if (i < WARMUP) continue;
      createMs.push(tResp - tReq);
      toFirstCall.push(lines[0]!.t - tResp);
      toApply.push(lines.find((l) => l.event === 'apply-start')!.t - tResp);
    }
    const row = (xs: number[]): string => `p50 ${ms(pct(xs, 50))}, p90 ${ms(pct(xs, 90))}, p99 ${ms(pct(xs, 99))}, max ${ms(Math.max(...xs))}`;
    console.log(`\n## reaction over ${P} policies (after ${WARMUP} warm-up), one node each, one at a time`);
    console.log(`create call (kubectl apply's POST) response: ${row(createMs)}`);
    console.log(`response → the node's first nmstatectl call (apply activity started on the node; goal p50 ≤ 300 ms, p99 ≤ 1000 ms): ${row(toFirstCall)}`);
    console.log(`response → the stub's apply (after render and probe selection): ${row(toApply)}`);
    console.log(JSON.stringify({ bench: 'controller-reaction', P, toFirstCall, toApply, createMs }));
  }

  // 2. Burst: Q policies on all N nodes at once.
  if (Q > 0) {
    const offset = statSync(log).size;
    const cpu0 = cpuOf(cpid);
    const rss0 = memoryOf(cpid).rss;
    const rss = sampleRss([cpid]);
    const names = Array.from({ length: Q }, (_, i) => `burst-${i}`);
    const t0 = performance.now();
    await Promise.all(names.map((name, i) => createPolicy(objects, name, { nodeSelector: { [BENCH_LABEL]: 'all' }, probes, desiredState: bridge(`brb${i}`) })));
    const createdMs = performance.now() - t0;
    const done = new Map<string, number>();
    /** Rollouts that ended (a final phase), Available or not. */
    const ended = new Map<string, NodeNetworkConfigurationPolicy>();
    let lastPrint = performance.now();
    while (ended.size < Q && performance.now() - t0 < TIMEOUT_MS) {
      const list = (await objects.listClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural })) as { items: NodeNetworkConfigurationPolicy[] };
      for (const o of list.items) {
        const name = o.metadata.name ?? '';
        if (!name.startsWith('burst-')) continue;
        if (!done.has(name) && available(o)) done.set(name, performance.now() - t0);
        if (available(o) || ['Completed', 'Halted', 'RolledBack'].includes(o.status?.rollout?.phase ?? '')) ended.set(name, o);
      }
      if (performance.now() - lastPrint > 30_000) {
        lastPrint = performance.now();
        console.log(`  … ${((performance.now() - t0) / 1000).toFixed(0)} s: ${done.size}/${Q} Available, ${ended.size} ended, controller RSS ${mib(memoryOf(cpid).rss)}`);
      }
      if (ended.size < Q) await sleep(500);
    }
    // Rollouts that ended without every node configured: how, and why their nodes failed.
    const tally = (xs: string[]): string => [...xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())].map(([k, v]) => `${v} × ${k}`).join('; ');
    const notAvailable = [...ended.values()].filter((o) => !available(o));
    if (notAvailable.length) {
      console.log(`${notAvailable.length} rollouts ended without Available: ${tally(notAvailable.map((o) => `${o.status?.rollout?.phase} (${o.status?.rollout?.message})`.replace(/\d+/g, 'N')))}`);
      console.log(`  their failed nodes: ${tally(notAvailable.flatMap((o) => (o.status?.rollout?.nodes ?? []).filter((n) => n.phase === 'Failed').map((n) => (n.lastError ?? '?').replace(/bctl-\d+/g, '<node>'))))}`);
    }
    const wallMs = performance.now() - t0;
    const peak = rss.stop().get(cpid)!;
    const cpu1 = cpuOf(cpid);
    const lines = stubLines(log, offset);
    const windows = applyWindows(readFileSync(log, 'utf8').slice(offset));
    const perNode = new Map<string, number>();
    for (const w of windows) perNode.set(w.node, (perNode.get(w.node) ?? 0) + 1);
    const mostAtOnceOnANode = Math.max(0, ...nodes.map((n) => maxInFlight(windows.filter((w) => w.node === n))));
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const metric = (re: RegExp): string => metrics.match(re)?.[1] ?? '?';
    const times = [...done.values()].sort((a, b) => a - b);
    console.log(`\n## burst: ${Q} policies × ${N} nodes created at once (maxUnavailable 50 %)`);
    console.log(`${done.size}/${Q} Available, ${ended.size}/${Q} ended${ended.size < Q ? ` (TIMED OUT after ${(TIMEOUT_MS / 1000).toFixed(0)} s)` : ''}; creates took ${(createdMs / 1000).toFixed(2)} s; wall to all ended ${(wallMs / 1000).toFixed(1)} s; Available: first ${((times[0] ?? NaN) / 1000).toFixed(1)} s, median ${((pct(times, 50) ?? NaN) / 1000).toFixed(1)} s, last ${((times.at(-1) ?? NaN) / 1000).toFixed(1)} s`);
    console.log(`node applies (stub log): ${windows.length} on ${perNode.size} nodes (expected ${Q * N}); per node min ${Math.min(...perNode.values())}, max ${Math.max(...perNode.values())}; most applies at once on one node ${mostAtOnceOnANode}; stub calls ${lines.length}`);
    console.log(`controller RSS before ${mib(rss0)}, peak sampled ${mib(peak)}, VmHWM ${mib(memoryOf(cpid).hwm)}, after ${mib(memoryOf(cpid).rss)}; controller CPU ${(cpu1.self - cpu0.self).toFixed(1)} s (${(((cpu1.self - cpu0.self) / (Q * N)) * 1000).toFixed(0)} ms per node apply)`);
    console.log(`controller /metrics: knmstate_rollouts{phase="Completed"} ${metric(/^knmstate_rollouts\{phase="Completed"\} (\S+)$/m)}, node apply durations count ${metric(/^knmstate_node_apply_duration_seconds_count\{phase="Succeeded"\} (\S+)$/m)} sum ${metric(/^knmstate_node_apply_duration_seconds_sum\{phase="Succeeded"\} (\S+)$/m)} s, failures ${metric(/^knmstate_node_failures_total (\S+)$/m)}, reconcile errors ${metric(/^knmstate_controller_reconcile_errors_total (\S+)$/m)}`);
    console.log(JSON.stringify({ bench: 'controller-burst', N, Q, T, probes: values.probes, available: done.size, ended: ended.size, wallMs, createdMs, applies: windows.length, mostAtOnceOnANode, rss0, rssPeak: peak, cpu: cpu1.self - cpu0.self }));
  }
} catch (err) {
  console.error(`benchmark failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
