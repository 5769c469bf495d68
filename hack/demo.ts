/**
 * The main job (`hack/demo.sh`): a local knmstate cluster with simulated nodes and the Temporal UI,
 * up until Ctrl-C (or SIGTERM), which tears everything down. If this process is killed outright, the
 * run's reaper tears it down instead.
 */
import { parseArgs } from 'node:util';
import { startCluster } from './cluster/cluster.ts';
import { printAccess } from './cluster/print.ts';
import { installCrds } from './cluster/crds.ts';
import { defaultNodeMode, parseNodeMode } from './cluster/nodes.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '6' }, mode: { type: 'string' } } });
const mode = values.mode ? parseNodeMode(values.mode, '--mode') : defaultNodeMode(); // kernel | networkmanager
const count = Number(values.nodes);
if (!Number.isInteger(count) || count < 1) {
  console.error(`--nodes must be a positive integer, got "${values.nodes}"`);
  process.exit(2);
}

const t0 = performance.now();
const cluster = await startCluster({ temporal: { ui: true } });
let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: tearing down…`);
  await cluster.teardown();
  console.log('done');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

try {
  await installCrds(cluster.info.kube.kubeconfig);
  const group = await cluster.addNodes({ name: 'worker', count, mode });
  printAccess(cluster, group);
  console.log(`\ncontrol plane + ${count} nodes ready in ${((performance.now() - t0) / 1000).toFixed(1)} s. Ctrl-C to tear down.`);
} catch (err) {
  await cluster.teardown();
  throw err;
}
// Stay up until a signal arrives (the timer only keeps the event loop alive).
setInterval(() => undefined, 1 << 30);
