/**
 * One apply+probe+commit cycle on one simulated node, NetworkManager mode against kernel mode, with the
 * real nmstatectl: br1 over eth1 with a static address, a ping of the fabric over it as the probe,
 * then (NetworkManager mode) `commit`; the state is removed again between rounds (not timed).
 * Prints median / p90 / max per step over R rounds (default 10) and the NM/kernel ratio.
 * No control plane is needed: the nodes belong to a run of their own, torn down at the end.
 *
 *   node bench/nm-cycle.ts [--rounds 10]
 */
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { Run } from '../hack/cluster/run.ts';
import { DATA_GATEWAY, createNodeGroup, runInNode, type NodeGroup, type SimNode } from '../hack/cluster/nodes.ts';
import { networkManagerTools, runNmInNode } from '../hack/cluster/networkmanager.ts';
import { tools } from '../hack/cluster/tools.ts';
import { absentBridgeState, bridgeState } from '../hack/fixtures/bridge.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10' } } });
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got "${values.rounds}"`);
const { nmstatectl, ping } = tools();
networkManagerTools(); // install/check outside the timing

// No ipv6 key: kernel mode cannot disable IPv6 on a new bridge (a fe80:: address stays).
const bridge = (ip: string): string => JSON.stringify(bridgeState({ ip }));
const absent = JSON.stringify(absentBridgeState('br1'));

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
}

function check(what: string, r: { exitCode?: number | undefined; stderr: string }): void {
  if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}):\n${r.stderr.split('\n').slice(-5).join('\n')}`);
}

/** The probe: the fabric answers over the new bridge (a few tries: the first ARP may be lost). */
async function probe(n: SimNode): Promise<void> {
  for (let i = 0; i < 10; i++) {
    if ((await runInNode(n, ping, ['-c', '1', '-W', '1', DATA_GATEWAY])).exitCode === 0) return;
  }
  throw new Error(`probe from ${n.name} to ${DATA_GATEWAY} failed`);
}

type Steps = Record<string, number[]>;

/** `nmstatectl apply -k` inside a kernel-mode node with the state on stdin (runInNode has no stdin). */
function kernelApply(n: SimNode, state: string) {
  return execa('ip', ['netns', 'exec', n.netns, nmstatectl, 'apply', '-k'], { input: state, reject: false });
}

async function kernelCycle(n: SimNode, ip: string, s: Steps): Promise<void> {
  const [a, ta] = await timed(() => kernelApply(n, bridge(ip)));
  check('kernel apply', a);
  const [, tp] = await timed(() => probe(n));
  (s.apply ??= []).push(ta);
  (s.probe ??= []).push(tp);
  (s.cycle ??= []).push(ta + tp);
  check('kernel removal', await kernelApply(n, absent));
}

async function nmCycle(n: SimNode, ip: string, s: Steps): Promise<number> {
  const [a, ta] = await timed(() => runNmInNode(n, nmstatectl, ['apply', '--no-commit', '--timeout', '60'], { input: bridge(ip) }));
  check('NetworkManager apply --no-commit', a);
  const [, tp] = await timed(() => probe(n));
  const [c, tc] = await timed(() => runNmInNode(n, nmstatectl, ['commit']));
  check('commit', c);
  (s.apply ??= []).push(ta);
  (s.probe ??= []).push(tp);
  (s.commit ??= []).push(tc);
  (s.cycle ??= []).push(ta + tp + tc);
  check('NetworkManager removal', await runNmInNode(n, nmstatectl, ['apply'], { input: absent }));
  return a.stderr.includes('Retrying on') ? 1 : 0;
}

const q = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

const run = Run.create();
const groups: NodeGroup[] = [];
try {
  const kernel = await createNodeGroup(run, { name: 'bench-cyck', count: 1, dnsmasqBin: tools().dnsmasq, mode: 'kernel' });
  groups.push(kernel);
  const nm = await createNodeGroup(run, { name: 'bench-cycn', count: 1, dnsmasqBin: tools().dnsmasq, mode: 'networkmanager' });
  groups.push(nm);
  const k: Steps = {};
  const m: Steps = {};
  let retries = 0;
  for (let i = 0; i < rounds; i++) {
    await kernelCycle(kernel.nodes[0]!, '203.0.113.21', k);
    retries += await nmCycle(nm.nodes[0]!, '203.0.113.22', m);
  }
  console.log(`apply+probe(+commit) of br1 over eth1 with a static address, ${rounds} rounds (median / p90 / max)`);
  for (const [mode, s] of [['kernel (-k)', k], ['networkmanager', m]] as const) {
    const line = Object.entries(s).map(([step, xs]) => `${step} ${fmt(q(xs, 0.5))} / ${fmt(q(xs, 0.9))} / ${fmt(Math.max(...xs))}`);
    console.log(`  ${mode.padEnd(15)} ${line.join('; ')}`);
  }
  console.log(`  networkmanager applies that needed nmstate's 1 s verification retry: ${retries} of ${rounds}`);
  console.log(`  cycle ratio networkmanager / kernel (median): ${(q(m.cycle!, 0.5) / q(k.cycle!, 0.5)).toFixed(1)}`);
} finally {
  for (const g of groups) await g.teardown();
  await run.teardown();
}
