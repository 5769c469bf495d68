/**
 * NodeNetworkState reporting by the agent on a simulated node against the real kube-apiserver with
 * the generated CRD: written once per change (not on every tick), filtered, owned by the Node, and
 * recreated when deleted. Runs in the default node mode (NetworkManager unless KNMSTATE_NODE_MODE says
 * otherwise). The refresh period is shortened to 300 ms so that "not on every tick" is
 * several ticks in a couple of seconds.
 */
import { describe, expect, it } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { runInNode } from '../../hack/cluster/nodes.ts';
import { consistently, eventually } from '../../hack/cluster/wait.ts';
import { NNS, type NodeNetworkState } from '../../crd/nns.ts';
import { useAgents } from './support.ts';

const s = useAgents('agent-nns', 1, { nns: { periodMs: 300 } });
const node = () => s.t.nodes.nodes[0]!;
const custom = () => s.t.kc.makeApiClient(CustomObjectsApi);
const getNns = async (): Promise<NodeNetworkState | undefined> =>
  (await custom()
    .getClusterCustomObject({ group: NNS.group, version: NNS.version, plural: NNS.plural, name: node().name })
    .catch(() => undefined)) as NodeNetworkState | undefined;
const reporter = () => s.agents.node(node().name).reporter!;
type Iface = { name: string; ipv4?: { address?: { ip: string }[] } };
const ifaces = (nns: NodeNetworkState | undefined): Iface[] => ((nns?.status?.currentState as { interfaces?: Iface[] } | undefined)?.interfaces ?? []);
/** The NodeNetworkState once the reporter has written it (each test waits for it itself: none relies on another having run). */
/** The reporter's write count once it has been unchanged for 1.5 s (at most 15 s of waiting). */
async function quietWrites(): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const w = reporter().writes;
    try {
      await consistently(() => reporter().writes === w, 1_500, { intervalMs: 250, what: 'a quiet reporter' });
      return w;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
  }
}

const written = (): Promise<NodeNetworkState> =>
  eventually(async () => {
    const o = await getNns();
    return o?.status?.currentState && reporter().writes >= 1 ? o : undefined;
  }, { timeoutMs: 10_000, what: 'the NodeNetworkState' });

describe('node agent: NodeNetworkState', () => {
  it('given an idle node, should write its filtered state once, owned by the Node, with the nmstate and NetworkManager versions ("kernel mode" in kernel mode), and not again on every tick', async () => {
    const nns = await written();
    const k8sNode = await s.t.core.readNode({ name: node().name });
    expect(nns.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: node().name, uid: k8sNode.metadata!.uid! }]);
    expect(nns.status?.handlerNmstateVersion).toMatch(/^nmstatectl 2\.2\.\d+$/);
    if (node().mode === 'kernel') expect(nns.status?.hostNetworkManagerVersion).toBe('kernel mode');
    else expect(nns.status?.hostNetworkManagerVersion).toMatch(/^1\.\d+\.\d+$/);
    expect(nns.status?.lastSuccessfulUpdateTime).toBeTruthy();
    expect(Object.keys(nns.status!.currentState!).sort()).toEqual(['dns-resolver', 'interfaces', 'routes']);
    expect(ifaces(nns).map((i) => i.name).sort()).toEqual(['eth0', 'eth1', 'eth2', 'lo']);
    expect(JSON.stringify(nns.status!.currentState)).not.toMatch(/valid-life-time|gc-timer/);

    const version = nns.metadata.resourceVersion;
    expect(reporter().writes).toBe(1);
    await consistently(async () => reporter().writes === 1 && (await getNns())?.metadata.resourceVersion === version, 2_000, { intervalMs: 250, what: 'a single NodeNetworkState write' });
  });

  it('given a change made outside knmstate, should write once more at the next tick and then stay quiet', async () => {
    await written();
    // Count from a quiet node: a node's own late changes (an address leaving its tentative state, or
    // NetworkManager finishing its set-up) are writes too, and must not be taken for this change's.
    const writes = await quietWrites();
    const n = node();
    expect((await runInNode(n, 'ip', ['addr', 'add', '203.0.113.77/24', 'dev', 'eth1'])).exitCode).toBe(0);
    try {
      await eventually(async () => ifaces(await getNns()).find((i) => i.name === 'eth1')?.ipv4?.address?.some((a) => a.ip === '203.0.113.77'), { timeoutMs: 5_000, what: 'the new address in NodeNetworkState' });
      expect(reporter().writes).toBe(writes + 1);
      await consistently(() => reporter().writes === writes + 1, 1_500, { intervalMs: 250, what: 'no further writes' });
    } finally {
      await runInNode(n, 'ip', ['addr', 'del', '203.0.113.77/24', 'dev', 'eth1']);
    }
  });

  it('given its NodeNetworkState deleted, should recreate it although the state did not change', async () => {
    await written();
    await eventually(async () => !ifaces(await getNns()).some((i) => i.ipv4?.address?.some((a) => a.ip === '203.0.113.77')), { timeoutMs: 5_000, what: 'the address gone from NodeNetworkState' });
    const old = await getNns();
    await custom().deleteClusterCustomObject({ group: NNS.group, version: NNS.version, plural: NNS.plural, name: node().name });
    const again = await eventually(async () => {
      const o = await getNns();
      return o && o.metadata.uid !== old?.metadata.uid && o.status?.currentState ? o : undefined;
    }, { timeoutMs: 10_000, what: 'the NodeNetworkState recreated' });
    expect(ifaces(again).map((i) => i.name).sort()).toEqual(['eth0', 'eth1', 'eth2', 'lo']);
  });
});
