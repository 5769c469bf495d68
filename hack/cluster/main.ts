/**
 * `npm run cluster -- up|down|status|sweep`: a detached local cluster for development.
 *
 *   up [--nodes N] [--ui] [--id ID] [--mode kernel|networkmanager]
 *                                     start the control plane and N simulated nodes (default 3); --mode
 *                                     (default $KNMSTATE_NODE_MODE, else networkmanager) also applies to groups tests add
 *   down [--id ID]                    tear it down
 *   status [--id ID]                  show its addresses, simulated nodes (namespace, mode, bus) and processes
 *   sweep                             remove runs whose owner died, and orphaned namespaces
 */
import { parseArgs } from 'node:util';
import { listNetns, Run, sweepStaleRuns } from './run.ts';
import { isAlive } from './proc.ts';
import { startCluster } from './cluster.ts';
import { installCrds } from './crds.ts';
import { printAccess } from './print.ts';
import { defaultNodeMode, parseNodeMode, setRunNodeMode } from './nodes.ts';
import { KubeClient } from '../../activities/kube/client.ts';
import { listSimulatedNodes } from '../../activities/kube/nodes.ts';

/** The run's simulated nodes as the API server lists them (namespace, mode, bus), one line each. */
async function nodeLines(kubeconfig: string): Promise<string[]> {
  let kube: KubeClient | undefined;
  try {
    kube = KubeClient.fromKubeconfigFile(kubeconfig);
    const nodes = await listSimulatedNodes(kube, undefined, { timeoutMs: 3_000 });
    if (!nodes.length) return ['  nodes      none'];
    const present = new Set(listNetns());
    const width = Math.max(...nodes.map((n) => n.name.length));
    return [
      `  nodes      ${nodes.length}`,
      ...nodes.map(
        (n) =>
          `    ${n.name.padEnd(width)}  ${(n.mode ?? '?').padEnd(14)} netns ${n.netns}${present.has(n.netns) ? '' : ' (MISSING)'}${n.dbusAddress ? `  DBUS_SYSTEM_BUS_ADDRESS=${n.dbusAddress}` : ''}`,
      ),
    ];
  } catch (err) {
    return [`  nodes      cannot list them: ${err instanceof Error ? err.message : String(err)}`];
  } finally {
    kube?.close();
  }
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    id: { type: 'string', default: 'local' },
    nodes: { type: 'string', default: '3' },
    ui: { type: 'boolean', default: false },
    mode: { type: 'string' },
  },
});
const cmd = positionals[0] ?? 'status';

switch (cmd) {
  case 'up': {
    if (Run.list().some((r) => r.id === values.id)) {
      console.error(`cluster "${values.id}" is already up; \`npm run cluster -- down --id ${values.id}\` first`);
      process.exit(1);
    }
    const mode = values.mode ? parseNodeMode(values.mode, '--mode') : defaultNodeMode();
    const cluster = await startCluster({ id: values.id, ownerPid: null, temporal: { ui: values.ui } });
    try {
      await installCrds(cluster.info.kube.kubeconfig);
      setRunNodeMode(cluster.run, mode);
      const group = await cluster.addNodes({ name: 'worker', count: Number(values.nodes), mode });
      printAccess(cluster, group);
    } catch (err) {
      await cluster.teardown();
      throw err;
    }
    break;
  }
  case 'down': {
    const run = Run.list().find((r) => r.id === values.id);
    if (!run) {
      console.log(`no cluster "${values.id}"`);
      break;
    }
    await run.teardown();
    console.log(`cluster "${values.id}" torn down`);
    break;
  }
  case 'status': {
    const runs = Run.list();
    if (!runs.length) console.log('no clusters');
    for (const run of runs) {
      const meta = run.meta();
      const info = run.readJson<{ temporal: { address: string; uiUrl?: string }; kube: { server: string; kubeconfig: string } }>('cluster.json');
      const owner = meta.owner ? `owned by pid ${meta.owner.pid}${run.isStale() ? ' (gone: stale)' : ''}` : 'detached';
      console.log(`${run.id}  ${owner}  since ${meta.createdAt}`);
      if (info) {
        console.log(`  temporal   ${info.temporal.address}${info.temporal.uiUrl ? `  ui ${info.temporal.uiUrl}` : ''}`);
        console.log(`  apiserver  ${info.kube.server}  KUBECONFIG=${info.kube.kubeconfig}`);
        if (!run.isStale()) console.log((await nodeLines(info.kube.kubeconfig)).join('\n'));
      }
      for (const p of run.procs()) console.log(`  ${isAlive(p) ? 'up  ' : 'DOWN'} ${p.name} pid ${p.pid}`);
    }
    break;
  }
  case 'sweep': {
    const removed = await sweepStaleRuns();
    console.log(removed.length ? `removed stale runs: ${removed.join(', ')}` : 'nothing stale');
    break;
  }
  default:
    console.error(`unknown command "${cmd}"; use up, down, status or sweep`);
    process.exit(2);
}
