/**
 * One apply + probe + commit cycle through the node agent (in-process `applyNodeState`, the real
 * nmstatectl, the real probes against the real apiserver and fabric), in each node mode: br1 over eth1
 * with a static address, then `revertNodeState` (not part of the cycle figure). Splits the cycle into
 * nmstatectl's time (apply, commit, the show/snapshot calls), probe selection, the probes after the
 * apply, and knmstate's own overhead. `--rounds` rounds after one warm-up round per mode.
 *
 *   node bench/nm-agent-cycle.ts [--rounds 20]
 *
 * Starts its own control plane and one node per mode, torn down at the end.
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../hack/cluster/cluster.ts';
import type { NodeMode, SimNode } from '../hack/cluster/nodes.ts';
import { netnsExec } from '../activities/nmstate/exec.ts';
import { NmstateDriver } from '../activities/nmstate/driver.ts';
import { Journal, NodeAgent, type ApplyDurations } from '../activities/node/index.ts';
import { KubeClient } from '../activities/kube/client.ts';
import { bridgeState } from '../hack/fixtures/bridge.ts';
import { uniformProbeSettings } from '../crd/probes.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' } } });
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;

/** The agent's cycle on one node; returns the durations of the measured rounds. */
async function cycles(node: SimNode, mode: NodeMode, nmstatectl: string, ping: string, kube: KubeClient): Promise<{ d: ApplyDurations[]; checkpointTimeoutSeconds: number | undefined }> {
  const stateDir = mkdtempSync(join(tmpdir(), `knmstate-bench-cycle-${mode}-`));
  const journal = new Journal(stateDir, node.name);
  await journal.lock();
  const exec = netnsExec(node.netns, node.dbusAddress ? { env: { DBUS_SYSTEM_BUS_ADDRESS: node.dbusAddress } } : {});
  const agent = new NodeAgent({
    node: node.name,
    driver: new NmstateDriver({ exec, binary: nmstatectl, mode }),
    journal,
    kube,
    pingBin: ping,
    probes: uniformProbeSettings({ dnsHost: 'gateway.knmstate.test', timeoutMs: 10_000, selectTimeoutMs: 10_000, intervalMs: 250 }),
  });
  const desiredState = bridgeState({ ip: '203.0.113.31' });
  const d: ApplyDurations[] = [];
  let checkpointTimeoutSeconds: number | undefined;
  try {
    for (let i = 0; i <= rounds; i++) {
      const r = await agent.apply({ policy: 'bench', generation: i + 1, desiredState });
      checkpointTimeoutSeconds = r.checkpointTimeoutSeconds;
      const rev = await agent.revert({ policy: 'bench', generation: i + 1 });
      if (!rev.reverted) throw new Error('revert did nothing');
      if (i > 0) d.push(r.durations); // round 0 warms caches
    }
  } finally {
    await journal.unlock();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return { d, checkpointTimeoutSeconds };
}

const cluster = await startCluster({ ownerPid: process.pid });
process.once('SIGINT', () => void cluster.teardown().finally(() => process.exit(130)));
try {
  const kube = KubeClient.fromKubeconfigFile(cluster.info.kube.kubeconfig);
  const results: Record<string, ApplyDurations[]> = {};
  console.log(`## agent cycle: applyNodeState (apply + probes + commit), ${rounds} rounds after 1 warm-up; median / p90`);
  console.log('| mode | cycle total | nmstatectl (snapshot, apply, commit) | of which apply | commit | probe selection | probes after | knmstate overhead |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const mode of ['kernel', 'networkmanager'] as const) {
    const group = await cluster.addNodes({ name: `bench-cycle-${mode === 'kernel' ? 'k' : 'nm'}`, count: 1, mode });
    try {
      const { d, checkpointTimeoutSeconds } = await cycles(group.nodes[0]!, mode, cluster.tools.nmstatectl, cluster.tools.ping, kube);
      results[mode] = d;
      const col = (k: keyof ApplyDurations): string => `${fmt(pct(d.map((x) => x[k]), 50))} / ${fmt(pct(d.map((x) => x[k]), 90))}`;
      console.log(`| ${mode}${checkpointTimeoutSeconds ? ` (T ${checkpointTimeoutSeconds} s)` : ''} | ${col('totalMs')} | ${col('nmstatectlMs')} | ${col('applyMs')} | ${col('commitMs')} | ${col('probeSelectMs')} | ${col('probeMs')} | ${col('overheadMs')} |`);
    } finally {
      await group.teardown();
    }
  }
  const k = pct(results.kernel!.map((x) => x.totalMs), 50);
  const n = pct(results.networkmanager!.map((x) => x.totalMs), 50);
  console.log(`NetworkManager / kernel cycle (median): ${(n / k).toFixed(2)}`);
  console.log(JSON.stringify({ bench: 'nm-agent-cycle', rounds, results }));
  kube.close();
} finally {
  await cluster.teardown();
}
