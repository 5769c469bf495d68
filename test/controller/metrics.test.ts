/**
 * The controller's `/metrics` on the real parts: a controller with its metrics endpoint, real node
 * agents and nmstatectl in kernel-mode simulated nodes, policies applied with kubectl. Each scrape is
 * compared with what the apiserver holds (NNCPs, NNCEs, NodeNetworkStates): upstream's five gauges
 * with their names, labels and values, and knmstate's rollout series.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { NativeConnection } from '@temporalio/worker';
import { pino } from 'pino';
import { NNS, type NodeNetworkState } from '../../crd/nns.ts';
import type { NncpSpec } from '../../crd/nncp.ts';
import { startController, type Controller } from '../../workers/controller/controller.ts';
import { networkInterfaces, routes } from '../../workers/controller/metrics-series.ts';
import { eventually, TEST_ROLLOUT_OPTIONS } from '../rollout/support.ts';
import { TEST_GROUP_LABEL, useControllerSuite } from './support.ts';

const G = 'ctm';
const s = useControllerSuite(G, 2);

/** One sample of the exposition text. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus' text format (the samples; comments skipped). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const same = (a: Record<string, string>, b: Record<string, string>): boolean => Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

describe('controller metrics', () => {
  let c: Controller;
  let scrape: () => Promise<Sample[]>;
  /** The value of one series, undefined when absent. */
  const value = (xs: Sample[], name: string, labels: Record<string, string> = {}): number | undefined => xs.find((x) => x.name === name && same(x.labels, labels))?.value;

  beforeAll(async () => {
    const { t } = s;
    c = await startController({
      kubeConfig: t.kc,
      client: t.client,
      connect: () => NativeConnection.connect({ address: t.cluster.info.temporal.address }),
      namespace: t.cluster.info.temporal.namespace,
      taskQueue: s.queue,
      rolloutOptions: TEST_ROLLOUT_OPTIONS,
      policySelector: `${TEST_GROUP_LABEL}=${G}`,
      openRunCheckMs: 2_000,
      metricsPort: 0,
      logger: pino({ level: process.env.KNMSTATE_TEST_LOG ?? 'silent' }),
    });
    const url = `http://127.0.0.1:${c.metrics!.port}/metrics`;
    scrape = async () => {
      const r = await fetch(url);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
      return parse(await r.text());
    };
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('given no policy yet, should serve the policy and rollout gauges at 0 and the process metrics', async () => {
    const m = await scrape();
    for (const status of ['Available', 'Degraded', 'Progressing', 'Ignored']) expect(value(m, 'kubernetes_nmstate_policies_status', { status })).toBe(0);
    expect(value(m, 'knmstate_rollouts', { phase: 'Completed' })).toBe(0);
    expect(value(m, 'knmstate_node_failures_total')).toBe(0);
    expect(value(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    for (const informer of ['nncp', 'node', 'nnce', 'nns']) expect(value(m, 'knmstate_controller_informer_up', { informer })).toBe(1);
    // Not an endpoint.
    expect((await fetch(`http://127.0.0.1:${c.metrics!.port}/other`)).status).toBe(404);
  });

  it('given a policy rolled out on both nodes, should show it Available, each node one Available enactment, one apply duration per node and the nodes\' interfaces and routes as their NodeNetworkStates have them', async () => {
    const bridge: NncpSpec['desiredState'] = { interfaces: [{ name: 'br-metrics', type: 'linux-bridge', state: 'up', bridge: { options: { stp: { enabled: false } }, port: [] } }] };
    await s.applyPolicy('ctm-bridge', { desiredState: bridge, maxUnavailable: 2 });
    const w = await s.kubectl(['wait', '--for=condition=Available', 'nncp/ctm-bridge', '--timeout=90s']);
    expect(w.exitCode).toBe(0);
    const p = (await s.policy('ctm-bridge'))!;

    // The informer sees the final status shortly after kubectl does.
    const m = await eventually(async () => {
      const x = await scrape();
      return value(x, 'knmstate_rollouts', { phase: 'Completed' }) === 1 && x;
    }, 10_000, 'the Completed rollout on /metrics');
    expect(value(m, 'kubernetes_nmstate_policies_status', { status: 'Available' })).toBe(1);
    for (const status of ['Degraded', 'Progressing', 'Ignored']) expect(value(m, 'kubernetes_nmstate_policies_status', { status })).toBe(0);
    for (const node of s.nodeNames) {
      expect(value(m, 'kubernetes_nmstate_enactments_status', { node, status: 'Available' })).toBe(1);
      for (const status of ['Failing', 'Progressing', 'Pending', 'Aborted']) expect(value(m, 'kubernetes_nmstate_enactments_status', { node, status })).toBe(0);
    }
    for (const e of (await s.enactments('ctm-bridge')).values()) for (const f of e.status?.features ?? []) expect(value(m, 'kubernetes_nmstate_features_applied', { name: f })).toBe(1);

    // One observation per node, its sum the nodes' start → completion in the status.
    const nodes = p.status!.rollout!.nodes!;
    const want = nodes.reduce((a, n) => a + (Date.parse(n.completionTime!) - Date.parse(n.startTime!)) / 1000, 0);
    expect(value(m, 'knmstate_node_apply_duration_seconds_count', { phase: 'Succeeded' })).toBe(2);
    expect(value(m, 'knmstate_node_apply_duration_seconds_sum', { phase: 'Succeeded' })).toBeCloseTo(want, 3);
    expect(value(m, 'knmstate_node_apply_duration_seconds_bucket', { phase: 'Succeeded', le: '+Inf' })).toBe(2);
    expect(value(m, 'knmstate_node_failures_total')).toBe(0);
    expect(value(m, 'knmstate_controller_reconciles_total', { action: 'signal' })).toBeGreaterThanOrEqual(1);

    // Interfaces and routes: as the nodes' NodeNetworkStates say (the agents refresh them after the apply, so the bridge is there).
    const objects = s.t.kc.makeApiClient(CustomObjectsApi);
    await eventually(async () => {
      const nnss = await Promise.all(s.nodeNames.map(async (name) => (await objects.getClusterCustomObject({ group: NNS.group, version: NNS.version, plural: NNS.plural, name })) as NodeNetworkState));
      const x = await scrape();
      const mine = (name: string): Sample[] => x.filter((y) => y.name === name && s.nodeNames.includes(y.labels.node!));
      const asSeries = (xs: Sample[]): { labels: Record<string, string>; value: number }[] => xs.map((y) => ({ labels: y.labels, value: y.value })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      const sorted = <T>(xs: T[]): T[] => xs.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(asSeries(mine('kubernetes_nmstate_network_interfaces'))).toEqual(sorted(networkInterfaces(nnss)));
      expect(asSeries(mine('kubernetes_nmstate_routes'))).toEqual(sorted(routes(nnss)));
      for (const node of s.nodeNames) {
        expect(value(x, 'kubernetes_nmstate_network_interfaces', { type: 'linux-bridge', node })).toBeGreaterThanOrEqual(1);
        // The node's own routes (its address on the fabric, its default route) are there too.
        expect(x.filter((y) => y.name === 'kubernetes_nmstate_routes' && y.labels.node === node && y.labels.ip_stack === 'ipv4').reduce((a, y) => a + y.value, 0)).toBeGreaterThanOrEqual(1);
      }
      return true;
    }, 15_000, 'interfaces and routes equal to the NodeNetworkStates');
  });

  it('given a policy that fails with no failure budget and one at a manual gate, should count Degraded, a Failing and an Aborted enactment, a node failure and a paused rollout', async () => {
    await s.applyPolicy('ctm-fail', {
      desiredState: { interfaces: [{ name: 'br-mfail', type: 'linux-bridge', state: 'up', bridge: { port: [{ name: 'eth666' }] } }] },
      maxUnavailable: 1,
      rollout: { maxFailures: 0 },
    });
    const bridge: NncpSpec['desiredState'] = { interfaces: [{ name: 'br-mgate', type: 'linux-bridge', state: 'up', bridge: { options: { stp: { enabled: false } }, port: [] } }] };
    await s.applyPolicy('ctm-gate', { desiredState: bridge, maxUnavailable: 1, rollout: { waves: [{ nodes: 1, pause: 'manual' }] } });
    const m = await eventually(async () => {
      const x = await scrape();
      return value(x, 'kubernetes_nmstate_policies_status', { status: 'Degraded' }) === 1 && value(x, 'knmstate_rollouts_paused', { reason: 'gate' }) === 1 && x;
    }, 90_000, 'a Degraded policy and a rollout at its gate');
    expect(value(m, 'knmstate_rollouts', { phase: 'Halted' })).toBe(1);
    expect(value(m, 'knmstate_rollouts', { phase: 'Waiting' })).toBe(1);
    expect(value(m, 'knmstate_rollouts_paused', { reason: 'spec' })).toBe(0);
    expect(value(m, 'knmstate_node_failures_total')).toBe(1);
    expect(value(m, 'knmstate_node_apply_duration_seconds_count', { phase: 'Failed' })).toBe(1);
    const fail = await s.enactments('ctm-fail');
    const failing = [...fail.entries()].find(([, e]) => e.status?.conditions?.some((x) => x.type === 'Failing' && x.status === 'True'))![0];
    const other = s.nodeNames.find((n) => n !== failing)!;
    expect(value(m, 'kubernetes_nmstate_enactments_status', { node: failing, status: 'Failing' })).toBe(1);
    expect(value(m, 'kubernetes_nmstate_enactments_status', { node: other, status: 'Aborted' })).toBe(1);
  });

  it('given the policies deleted, should drop them from the gauges at the next scrape (never stale)', async () => {
    expect((await s.kubectl(['delete', 'nncp', 'ctm-bridge', 'ctm-fail', 'ctm-gate'])).exitCode).toBe(0);
    const m = await eventually(async () => {
      const x = await scrape();
      const left = x.filter((y) => y.name === 'kubernetes_nmstate_enactments_status' && s.nodeNames.includes(y.labels.node!));
      return left.length === 0 && value(x, 'kubernetes_nmstate_policies_status', { status: 'Available' }) === 0 && x;
    }, 30_000, 'the gauges without the deleted policies');
    for (const status of ['Degraded', 'Progressing', 'Ignored']) expect(value(m, 'kubernetes_nmstate_policies_status', { status })).toBe(0);
    expect(value(m, 'knmstate_rollouts_paused', { reason: 'gate' })).toBe(0);
    // Counters keep what happened.
    expect(value(m, 'knmstate_node_failures_total')).toBe(1);
    expect(value(m, 'knmstate_controller_reconciles_total', { action: 'cancel' })).toBeGreaterThanOrEqual(1);
  });
});
