/**
 * NetworkManager node mode at scale: for each N (default 6 and 100), the time to start N nodes (each
 * with its own D-Bus and NetworkManager managing eth1/eth2) against kernel-mode nodes, memory per node
 * (Pss of NetworkManager + dbus-daemon, and the drop of the host's MemAvailable), then one parallel
 * apply of br1 with --no-commit on every node followed by commit on every node (real nmstatectl:
 * wall time against the CPU-bound ideal — the CPU the applies used, nmstatectl + NetworkManager +
 * dbus-daemon, spread over all cores — per-apply mean / max, verification retries), and teardown
 * time. No control plane needed. The machine is shared: run it when it is quiet, or read the ratio.
 *
 *   node bench/nm-scale.ts [--nodes 6,100] [--no-apply]
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Run } from '../hack/cluster/run.ts';
import { createNodeGroup } from '../hack/cluster/nodes.ts';
import { inotifyLeaseState, networkManagerTools, nodeNmMemory, runNmInNode } from '../hack/cluster/networkmanager.ts';
import { tools } from '../hack/cluster/tools.ts';
import { bridgeState } from '../hack/fixtures/bridge.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '6,100' }, 'no-apply': { type: 'boolean', default: false } } });
const sizes = values.nodes.split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 126)) throw new Error(`--nodes must be integers 1..126 (data addresses 203.0.113.2-127), got "${values.nodes}"`);
const { dnsmasq, nmstatectl } = tools();
networkManagerTools(); // install/check outside the timing

/** CPU seconds (user + system) of a process, or with `children`, of its waited-for children. */
function cpuSeconds(pid: number | 'self', children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [u, s] = children ? [f[13], f[14]] : [f[11], f[12]];
    return (Number(u) + Number(s)) / 100; // USER_HZ
  } catch {
    return 0;
  }
}

const memAvailableMiB = (): number => Number(/MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024;
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

const bridge = (ip: string): string => JSON.stringify(bridgeState({ ip, ipv6: false }));

for (const n of sizes) {
  // Kernel mode first, as the baseline for start-up.
  {
    const run = Run.create();
    try {
      const t0 = performance.now();
      const g = await createNodeGroup(run, { name: 'bench-scalek', count: n, dnsmasqBin: dnsmasq, mode: 'kernel' });
      const up = performance.now() - t0;
      const t1 = performance.now();
      await g.teardown();
      console.log(`${n} kernel nodes: start ${s(up)}, teardown ${s(performance.now() - t1)}`);
    } finally {
      await run.teardown();
    }
  }
  const run = Run.create();
  try {
    const memBefore = memAvailableMiB();
    const t0 = performance.now();
    const g = await createNodeGroup(run, { name: 'bench-scalen', count: n, dnsmasqBin: dnsmasq, mode: 'networkmanager' });
    const up = performance.now() - t0;
    const mem = g.nodes.map((x) => nodeNmMemory(run, x.name));
    const pss = mem.reduce((a, m) => a + m.nmPssKiB + m.busPssKiB, 0) / n / 1024;
    const rss = mem.reduce((a, m) => a + m.nmRssKiB + m.busRssKiB, 0) / n / 1024;
    const drop = (memBefore - memAvailableMiB()) / n;
    const lease = inotifyLeaseState();
    console.log(
      `${n} networkmanager nodes: start ${s(up)} (${(up / n).toFixed(0)} ms/node); per node Pss ${pss.toFixed(1)} MiB, Rss ${rss.toFixed(1)} MiB, host MemAvailable drop ${drop.toFixed(1)} MiB; inotify max_user_instances ${lease.value} (original ${lease.original})`,
    );

    if (!values['no-apply']) {
      const durations: number[] = [];
      let retries = 0;
      const daemons = run.procs().filter((p) => /^nm(bus)?-/.test(p.name));
      const daemonCpu = (): number => daemons.reduce((a, p) => a + cpuSeconds(p.pid), 0);
      const cpu0 = daemonCpu() + cpuSeconds('self', true);
      const ta = performance.now();
      await Promise.all(
        g.nodes.map(async (x) => {
          const t = performance.now();
          const r = await runNmInNode(x, nmstatectl, ['apply', '--no-commit', '--timeout', '300'], { input: bridge(`203.0.113.${1 + x.index}`) });
          durations.push(performance.now() - t);
          if (r.exitCode !== 0) throw new Error(`apply on ${x.name} failed: ${r.stderr.split('\n').slice(-3).join('\n')}`);
          if (r.stderr.includes('Retrying on')) retries++;
        }),
      );
      const applyWall = performance.now() - ta;
      // nmstatectl runs as our child (ip netns exec execs it): its CPU shows in our children's time.
      const cpu = daemonCpu() + cpuSeconds('self', true) - cpu0;
      const ideal = (cpu / availableParallelism()) * 1000;
      const tc = performance.now();
      await Promise.all(
        g.nodes.map(async (x) => {
          const r = await runNmInNode(x, nmstatectl, ['commit']);
          if (r.exitCode !== 0) throw new Error(`commit on ${x.name} failed: ${r.stderr}`);
        }),
      );
      const commitWall = performance.now() - tc;
      const mean = durations.reduce((a, b) => a + b, 0) / n;
      const pssAfter = g.nodes.map((x) => nodeNmMemory(run, x.name)).reduce((a, m) => a + m.nmPssKiB + m.busPssKiB, 0) / n / 1024;
      console.log(
        `  ${n} parallel apply --no-commit: wall ${s(applyWall)}, per apply mean ${s(mean)} / max ${s(Math.max(...durations))}, ${retries} with a verification retry; CPU ${cpu.toFixed(1)} s (${((cpu / n) * 1000).toFixed(0)} ms per apply: nmstatectl + NetworkManager + bus), CPU-bound ideal on ${availableParallelism()} cores ${s(ideal)}, wall/ideal ${(applyWall / ideal).toFixed(2)}; commit all ${s(commitWall)}; Pss per node with br1 ${pssAfter.toFixed(1)} MiB`,
      );
    }

    const td = performance.now();
    await g.teardown();
    console.log(`  teardown ${s(performance.now() - td)}; inotify max_user_instances back to ${inotifyLeaseState().value}`);
  } finally {
    await run.teardown();
  }
}
