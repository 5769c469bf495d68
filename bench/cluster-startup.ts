/**
 * Start-up and teardown of the local cluster harness: control plane (Temporal dev server, etcd,
 * kube-apiserver) plus N simulated nodes (default 6), median of R runs (default 3). Goal: control
 * plane + 6 nodes ready in at most 20 s with a warm tool cache.
 *
 *   node bench/cluster-startup.ts [--nodes 6] [--runs 3]
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { startCluster } from '../hack/cluster/cluster.ts';
import { tools } from '../hack/cluster/tools.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '6' }, runs: { type: 'string', default: '3' } } });
const nodes = Number(values.nodes);
const runs = Number(values.runs);
tools(); // install/check outside the timing

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: { control: number; nodes: number; total: number; teardown: number; rss: Record<string, number> }[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const cluster = await startCluster();
  const t1 = performance.now();
  await cluster.addNodes({ name: 'bench', count: nodes });
  const t2 = performance.now();
  const rss = Object.fromEntries(cluster.run.procs().map((p) => [p.name, Math.round(rssMiB(p.pid))]));
  await cluster.teardown();
  const t3 = performance.now();
  rows.push({ control: t1 - t0, nodes: t2 - t1, total: t2 - t0, teardown: t3 - t2, rss });
  console.log(`run ${i + 1}: control plane ${((t1 - t0) / 1000).toFixed(2)} s, ${nodes} nodes ${((t2 - t1) / 1000).toFixed(2)} s, teardown ${((t3 - t2) / 1000).toFixed(2)} s, RSS MiB ${JSON.stringify(rss)}`);
}
const total = median(rows.map((r) => r.total)) / 1000;
console.log(
  `\ncluster start-up (median of ${runs}): control plane ${(median(rows.map((r) => r.control)) / 1000).toFixed(2)} s + ${nodes} nodes ${(median(rows.map((r) => r.nodes)) / 1000).toFixed(2)} s = ${total.toFixed(2)} s; goal <= 20 s (ratio ${(total / 20).toFixed(2)}); teardown ${(median(rows.map((r) => r.teardown)) / 1000).toFixed(2)} s`,
);
