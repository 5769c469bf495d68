/**
 * The controller's informers across an apiserver outage: the controller reaches the real
 * kube-apiserver through a TCP relay that the test cuts and restores (the shared apiserver itself
 * keeps serving the other suites). Its watches fail; each informer restarts with back-off and says
 * so, never stopping silently; a policy applied during the outage is rolled out once it is back.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { eventually } from '../rollout/support.ts';
import type { Controller } from '../../workers/controller/controller.ts';
import { freePort, relay, type Relay } from './relay.ts';
import { enactmentCondition, useControllerSuite } from './support.ts';

const G = 'ctw';
const s = useControllerSuite(G, 2);

const bridge = (name: string) => ({ interfaces: [{ name, type: 'linux-bridge', state: 'up', bridge: { options: { stp: { enabled: false } }, port: [] } }] });

describe('controller informers', () => {
  let c: Controller | undefined;
  let r: Relay | undefined;
  afterAll(async () => {
    await c?.stop();
    await r?.stop();
  });

  it('given the apiserver unreachable for a while, should restart its informers and roll out a policy applied meanwhile', async () => {
    const server = new URL(s.t.kc.getCurrentCluster()!.server);
    r = relay(await freePort(), { host: server.hostname, port: Number(server.port) });
    await r.start();
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: s.t.kc.clusters.map((x) => ({ ...x, server: `https://127.0.0.1:${r!.port}` })),
      users: s.t.kc.users,
      contexts: s.t.kc.contexts,
      currentContext: s.t.kc.currentContext,
    });
    c = await s.startController({ kubeConfig: kc });
    await s.applyPolicy('ctw-before', { desiredState: bridge('br-before') });
    expect((await s.kubectl(['wait', '--for=condition=Available', 'nncp/ctw-before', '--timeout=60s'])).exitCode).toBe(0);

    // Outage: every watch of the controller breaks.
    await r.stop();
    await eventually(() => Object.values(c!.reconciler.health().informers).every((h) => !h.ok), 30_000, 'every informer to notice');
    expect((await c.readiness()).ok).toBe(false);
    await s.applyPolicy('ctw-during', { desiredState: bridge('br-during') });
    // The restarts go on failing while the outage lasts (back-off 1 s, 2 s, …), never giving up.
    await eventually(() => Object.values(c!.reconciler.health().informers).every((h) => h.restarts >= 2 && !h.ok), 30_000, 'failed restarts during the outage');
    expect((await c.readiness()).ok).toBe(false);

    // Back: the informers restart, the missed policy is seen and rolled out.
    await r.start();
    await eventually(() => c!.reconciler.health().ok, 60_000, 'the informers to restart');
    const informers = c.reconciler.health().informers;
    for (const h of Object.values(informers)) expect(h.restarts).toBeGreaterThanOrEqual(3);
    expect((await s.kubectl(['wait', '--for=condition=Available', 'nncp/ctw-during', '--timeout=90s'])).exitCode).toBe(0);
    const nnces = await s.enactments('ctw-during');
    expect([...nnces.keys()].sort()).toEqual(s.nodeNames);
    for (const e of nnces.values()) expect(enactmentCondition(e)).toBe('Available');
  });
});
