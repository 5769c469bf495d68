/**
 * Child process of bench/rollout.ts: the real rollout workflow worker (workflows/index.ts, so
 * `policyRollout`) with the real cluster-side activities (activities/cluster/index.ts
 * `createClusterActivities`: node resolution, NNCP status, NNCEs, events) on one task queue, as the
 * controller runs them; in a process of its own so that its memory is measured alone.
 *
 * Input (environment): `KNMSTATE_BENCH_TEMPORAL` (address), `KNMSTATE_BENCH_NAMESPACE`,
 * `KNMSTATE_BENCH_QUEUE`, `KNMSTATE_BENCH_KUBECONFIG`. Prints `{"ready":true}` once it polls;
 * SIGTERM stops it. With `KNMSTATE_BENCH_CPU_PROFILE=<dir>` it writes a CPU profile of its main
 * thread there when stopped (the cluster activities; workflow code runs in the SDK's worker thread).
 */
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createClusterActivities } from '../activities/cluster/index.ts';
import { startCpuProfile } from './cpu-profile.ts';

const need = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`${k}: required`);
  return v;
};
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(need('KNMSTATE_BENCH_KUBECONFIG'));

const profile = process.env.KNMSTATE_BENCH_CPU_PROFILE ? await startCpuProfile(process.env.KNMSTATE_BENCH_CPU_PROFILE, 'worker') : undefined;
Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
const connection = await NativeConnection.connect({ address: need('KNMSTATE_BENCH_TEMPORAL') });
const worker = await Worker.create({
  connection,
  namespace: need('KNMSTATE_BENCH_NAMESPACE'),
  taskQueue: need('KNMSTATE_BENCH_QUEUE'),
  workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
  activities: createClusterActivities({ kubeConfig }),
});
process.on('SIGTERM', () => {
  if (worker.getState() === 'RUNNING') worker.shutdown();
});
const running = worker.run();
console.log(JSON.stringify({ ready: true }));
await running;
await connection.close();
await profile?.stop();
