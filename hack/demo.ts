/**
 * The main job (`hack/demo.sh`): a local knmstate cluster — Temporal with its Web UI, etcd,
 * kube-apiserver, simulated nodes in two zones — with the node agents and the rollout controller
 * running as their own processes; then a staged policy is applied with kubectl and its rollout is
 * shown live (`kubectl nmstate get --watch`). Ctrl-C (or SIGTERM) tears everything down; if this
 * process is killed outright, the run's reaper does.
 *
 *   hack/demo.sh [--nodes 6] [--mode kernel|networkmanager]
 *   hack/demo.sh --once        # no terminal needed: promotes the canary gate itself, exits 0 once Available
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { startCluster, type Cluster } from './cluster/cluster.ts';
import { installCrds } from './cluster/crds.ts';
import { defaultNodeMode, parseNodeMode, type NodeMode } from './cluster/nodes.ts';
import { printAccess } from './cluster/print.ts';
import { freePorts } from './cluster/ports.ts';
import { isAlive, startProcess, tailLog, type ProcRecord } from './cluster/proc.ts';
import { eventually, GiveUp } from './cluster/wait.ts';

const run$ = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const POLICY = 'demo-bridge';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '6' }, mode: { type: 'string' }, once: { type: 'boolean', default: false } } });
const mode: NodeMode = values.mode ? parseNodeMode(values.mode, '--mode') : defaultNodeMode();
const count = Number(values.nodes);
if (!Number.isInteger(count) || count < 2) {
  console.error(`--nodes must be an integer of at least 2 (a canary and the rest), got "${values.nodes}"`);
  process.exit(2);
}
const once = values.once;

const t0 = performance.now();
const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
const step = (what: string): void => console.log(`[demo ${elapsed()}] ${what}`);

step('starting Temporal (with its Web UI), etcd and kube-apiserver');
const cluster = await startCluster({ temporal: { ui: true } });
let stopping = false;
const stop = async (signal: string, code = 0): Promise<never> => {
  if (!stopping) {
    stopping = true;
    console.log(`\n${signal}: tearing down…`);
    await cluster.teardown();
    console.log('done');
  }
  process.exit(code);
};
process.on('SIGINT', () => void stop('SIGINT', once ? 130 : 0));
process.on('SIGTERM', () => void stop('SIGTERM', once ? 143 : 0));

try {
  await main(cluster);
} catch (err) {
  console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
  await stop('error', 1);
}

async function main(c: Cluster): Promise<void> {
  const kubeconfig = c.info.kube.kubeconfig;
  const env = { ...process.env, KUBECONFIG: kubeconfig, TEMPORAL_ADDRESS: c.info.temporal.address, TEMPORAL_NAMESPACE: c.info.temporal.namespace };
  await installCrds(kubeconfig);
  step(`creating ${count} simulated nodes in 2 zones (${mode} mode)`);
  const group = await c.addNodes({ name: 'worker', count, mode, zones: ['zone-a', 'zone-b'] });

  const [agentPort, controllerPort] = await freePorts(2);
  step('starting the node agents (one process serving every simulated node) and the rollout controller');
  const stateDir = c.run.path('agents');
  mkdirSync(stateDir, { recursive: true });
  const node = process.execPath;
  const agent = startProcess({
    name: 'node-agent',
    command: node,
    args: [`${root}workers/node-agent.ts`],
    log: c.run.path('node-agent.log'),
    env: {
      ...env,
      KNMSTATE_SIMULATED_NODES: 'knmstate.io/group=worker',
      KNMSTATE_NMSTATECTL: c.tools.nmstatectl,
      KNMSTATE_PING: c.tools.ping,
      KNMSTATE_NMSTATE_MODE: mode,
      KNMSTATE_STATE_DIR: stateDir,
      PROBE_DNS_HOST: 'gateway.knmstate.test',
      KNMSTATE_HEALTH_PORT: String(agentPort),
    },
  });
  c.run.recordProc(agent);
  const controller = startProcess({
    name: 'controller',
    command: node,
    args: [`${root}workers/controller.ts`],
    log: c.run.path('controller.log'),
    env: { ...env, KNMSTATE_HEALTH_PORT: String(controllerPort) },
  });
  c.run.recordProc(controller);
  await Promise.all([ready(agent, agentPort!), ready(controller, controllerPort!)]);

  printAccess(c, group);
  const cliDir = `${root}cli`;
  const shellEnv = `export KUBECONFIG=${kubeconfig} TEMPORAL_ADDRESS=${c.info.temporal.address} PATH=${cliDir}:$PATH`;
  console.log(`
  logs        ${agent.log}
              ${controller.log}

In another terminal:
  ${shellEnv}
  kubectl get nncp,nnce                                  # upstream's columns: Status, Reason
  kubectl nmstate promote ${POLICY}                      # open the canary's manual gate
  kubectl nmstate pause ${POLICY}  /  resume ${POLICY}
  kubectl nmstate abort ${POLICY} --rollback             # stop, and revert the nodes already configured
  kubectl apply -f ${root}hack/demo/failing-policy.yaml  # a policy that breaks the gateway: rolled back
  kubectl nmstate why demo-no-gateway                    # which probe failed, and what was put back
  kubectl nmstate history ${POLICY}
  Temporal UI: ${c.info.temporal.uiUrl ?? '(none)'}  (filter: KnmstatePolicy="${POLICY}")
`);

  step(`kubectl apply -f hack/demo/policy.yaml (canary → manual gate → rest of zone-a → 10 s soak → zone-b)`);
  await run$(c.tools.kubectl, ['apply', '-f', `${root}hack/demo/policy.yaml`], { env });

  const cli = (args: string[]) => run$(node, [`${cliDir}/kubectl-nmstate.ts`, ...args], { env });
  if (once) void promoteWhenWaiting(cli);
  else console.log(`The rollout stops after the canary: promote it from another terminal (kubectl nmstate promote ${POLICY}).\n`);

  const watch = spawn(node, [`${cliDir}/kubectl-nmstate.ts`, 'get', POLICY, '--watch', '--timeout', once ? '5m' : '60m'], { stdio: 'inherit', env });
  const code = await new Promise<number>((resolve) => watch.on('exit', (c) => resolve(c ?? 1)));
  if (once) {
    const wait = await run$(c.tools.kubectl, ['wait', '--for=condition=Available', `nncp/${POLICY}`, '--timeout=60s'], { env }).then(
      (r) => ({ ok: true, out: r.stdout }),
      (e: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
    );
    process.stdout.write(wait.out);
    step(`rollout ${code === 0 && wait.ok ? 'Available' : `not Available (get --watch exited ${code})`}`);
    if (!(code === 0 && wait.ok)) {
      console.log(`--- controller log ---\n${tailLog(controller.log, 30)}\n--- node-agent log ---\n${tailLog(agent.log, 30)}`);
    }
    await stop('--once', code === 0 && wait.ok ? 0 : 1);
  }
  console.log(`\nThe cluster stays up; Ctrl-C tears it all down.`);
  writeFileSync(c.run.path('demo-env.sh'), `${shellEnv}\n`);
  setInterval(() => undefined, 1 << 30);
}

/** Waits until a started process answers 200 on /readyz, or fails with the end of its log. */
async function ready(rec: ProcRecord, port: number): Promise<void> {
  await eventually(
    async () => {
      if (!isAlive(rec)) throw new GiveUp(`${rec.name} exited:\n${tailLog(rec.log)}`);
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      return r.status === 200;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: `${rec.name} ready on :${port}` },
  );
}

/** --once: plays the operator at the manual gate (through the CLI, as a person would). */
async function promoteWhenWaiting(cli: (args: string[]) => Promise<{ stdout: string }>): Promise<void> {
  for (;;) {
    const r = await cli(['get', POLICY, '-o', 'json']).catch(() => undefined);
    const phase = r ? (JSON.parse(r.stdout) as { progress?: { phase?: string } }).progress?.phase : undefined;
    if (phase === 'Waiting') {
      step('canary done; the demo promotes it (kubectl nmstate promote demo-bridge)');
      await cli(['promote', POLICY]);
      return;
    }
    if (phase && ['Completed', 'Halted', 'RolledBack'].includes(phase)) return;
    await new Promise((res) => setTimeout(res, 500));
  }
}
