/**
 * Child process of bench/rollout.ts: the real node agents (workers/node-agent-host.ts
 * `startNodeAgents`, kernel mode) of a set of simulated nodes, in one process so its memory is the
 * agents' alone. nmstatectl is the stub (bench/nmstatectl-stub), told each node's name through
 * `NODE_NAME` so its log says which node applied when; `NMSTATECTL_STUB_LOG` and
 * `NMSTATECTL_STUB_APPLY_SECONDS` come from this process's environment. V8's young generation is
 * kept small as the real agent process keeps it (workers/node-agent.ts). NodeNetworkState reporting
 * is off: it is not part of a rollout.
 *
 * Input: `KNMSTATE_BENCH_AGENTS`, JSON {@link AgentsConfig}. Prints `{"ready":true}` once every node
 * polls; SIGTERM stops it. With `KNMSTATE_BENCH_CPU_PROFILE=<dir>` it writes a V8 CPU profile of its
 * whole life there when stopped (open it in Chrome's DevTools), to see where the agents' CPU goes.
 */
import { setFlagsFromString } from 'node:v8';
import { startCpuProfile } from './cpu-profile.ts';

setFlagsFromString('--max-semi-space-size=1');

/** What the parent passes. */
export interface AgentsConfig {
  temporalAddress: string;
  namespace: string;
  kubeconfig: string;
  nodes: { name: string; netns: string }[];
  nmstatectl: string;
  ping: string;
  stateDir: string;
}

const cfg = JSON.parse(process.env.KNMSTATE_BENCH_AGENTS ?? 'null') as AgentsConfig | null;
if (!cfg?.nodes?.length) throw new Error('KNMSTATE_BENCH_AGENTS: expected JSON with temporalAddress, namespace, kubeconfig, nodes, nmstatectl, ping, stateDir');

const { DefaultLogger, NativeConnection, Runtime } = await import('@temporalio/worker');
const { startNodeAgents } = await import('../workers/node-agent-host.ts');
const { KubeClient } = await import('../activities/kube/client.ts');
const { uniformProbeSettings } = await import('../crd/probes.ts');

const profile = process.env.KNMSTATE_BENCH_CPU_PROFILE ? await startCpuProfile(process.env.KNMSTATE_BENCH_CPU_PROFILE, 'agents') : undefined;
Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
const connection = await NativeConnection.connect({ address: cfg.temporalAddress });
const kube = KubeClient.fromKubeconfigFile(cfg.kubeconfig);
const agents = await startNodeAgents({
  connection,
  namespace: cfg.namespace,
  kube,
  nodes: cfg.nodes.map((n) => ({ name: n.name, netns: n.netns, mode: 'kernel', env: { NODE_NAME: n.name } })),
  nmstatectl: cfg.nmstatectl,
  ping: cfg.ping,
  mode: 'kernel',
  stateDir: cfg.stateDir,
  probes: uniformProbeSettings({ dnsHost: 'gateway.knmstate.test' }),
  nns: { enabled: false },
  shutdownGraceMs: 10_000,
  shutdownUndoMs: 10_000,
});
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void agents
    .shutdown()
    .then(() => connection.close())
    .then(() => profile?.stop())
    .finally(() => {
      kube.close();
      process.exit(0);
    });
});
console.log(JSON.stringify({ ready: true, nodes: agents.nodes.length }));
await agents.done;
