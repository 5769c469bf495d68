/** The controller's gauges computed from objects (pure): upstream's five with their values, knmstate's rollout series, node completions. */
import { describe, expect, it } from '@jest/globals';
import {
  activeCondition,
  enactmentsStatus,
  featuresApplied,
  networkInterfaces,
  NodeCompletions,
  pausedRollouts,
  policiesStatus,
  rolloutsByPhase,
  routes,
  type EnactmentLike,
  type PolicyLike,
  type Series,
} from '../../workers/controller/metrics-series.ts';

const cond = (...trueType: string[]): { type: string; status: string }[] =>
  ['Available', 'Degraded', 'Progressing', 'Ignored', 'Failing', 'Pending', 'Aborted'].map((type) => ({ type, status: trueType.includes(type) ? 'True' : 'False' }));
const policy = (phase?: string, conditions = cond(), extra: Partial<PolicyLike['status']> = {}): PolicyLike => ({
  metadata: { name: `p-${Math.random()}` },
  status: { conditions, ...(phase ? { rollout: { phase: phase as never } } : {}), ...extra },
});
const nnce = (node: string | undefined, conditions = cond(), features?: string[]): EnactmentLike => ({
  metadata: { labels: node ? { 'nmstate.io/node': node } : {} },
  status: { conditions, ...(features ? { features } : {}) },
});
/** The series as `labels → value` for readable expectations. */
const flat = (xs: Series[]): Record<string, number> => Object.fromEntries(xs.map((s) => [Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(','), s.value]));

describe('activeCondition', () => {
  it.each([
    [undefined, undefined],
    [[], undefined],
    [cond(), undefined],
    [cond('Available'), 'Available'],
    [[{ type: 'Degraded', status: 'True' }, { type: 'Available', status: 'True' }], 'Degraded'],
    [[{ type: 'Available', status: 'Unknown' }], undefined],
  ])('given conditions %j, should read the first True one: %s', (c, want) => {
    expect(activeCondition(c)).toBe(want);
  });
});

describe('kubernetes_nmstate_policies_status', () => {
  it('given no policy, should show the four statuses at 0', () => {
    expect(flat(policiesStatus([]))).toEqual({ 'status=Available': 0, 'status=Degraded': 0, 'status=Progressing': 0, 'status=Ignored': 0 });
  });
  it('given policies by first True condition (one with none), should count each once', () => {
    const ps = [policy(undefined, cond('Available')), policy(undefined, cond('Available')), policy(undefined, cond('Degraded')), policy(undefined, cond('Ignored')), policy(undefined, cond()), { metadata: { name: 'new' } }];
    expect(flat(policiesStatus(ps))).toEqual({ 'status=Available': 2, 'status=Degraded': 1, 'status=Progressing': 0, 'status=Ignored': 1 });
  });
});

describe('kubernetes_nmstate_enactments_status', () => {
  it('given enactments on two nodes, should show the five statuses of each node, 0 where none, and skip one without a node label', () => {
    const es = [nnce('a', cond('Available')), nnce('a', cond('Failing')), nnce('a', cond('Available')), nnce('b', cond('Pending')), nnce('b', cond()), nnce(undefined, cond('Available'))];
    expect(flat(enactmentsStatus(es))).toEqual({
      'node=a,status=Available': 2,
      'node=a,status=Failing': 1,
      'node=a,status=Progressing': 0,
      'node=a,status=Pending': 0,
      'node=a,status=Aborted': 0,
      'node=b,status=Available': 0,
      'node=b,status=Failing': 0,
      'node=b,status=Progressing': 0,
      'node=b,status=Pending': 1,
      'node=b,status=Aborted': 0,
    });
  });
  it('given no enactment, should show no series (a node without enactments has none)', () => {
    expect(enactmentsStatus([])).toEqual([]);
  });
});

describe('kubernetes_nmstate_features_applied', () => {
  it('given features across enactments, should show each once with value 1', () => {
    expect(flat(featuresApplied([nnce('a', cond(), ['static_dns', 'lldp']), nnce('b', cond(), ['lldp']), nnce('c')]))).toEqual({ 'name=lldp': 1, 'name=static_dns': 1 });
  });
  it('given no feature left, should show no series (upstream deletes them)', () => {
    expect(featuresApplied([nnce('a', cond(), [])])).toEqual([]);
  });
});

describe('kubernetes_nmstate_network_interfaces and kubernetes_nmstate_routes', () => {
  const nns = (name: string, currentState: unknown): { metadata: { name: string }; status: { currentState: unknown } } => ({ metadata: { name }, status: { currentState } });
  const state = {
    interfaces: [
      { name: 'lo', type: 'loopback' },
      { name: 'eth0', type: 'ethernet' },
      { name: 'eth1', type: 'ethernet' },
      { name: 'br1', type: 'linux-bridge' },
      { name: 'odd' },
    ],
    routes: {
      config: [{ destination: '203.0.113.0/24' }, { destination: '2001:db8:1::/64' }],
      running: [
        { destination: '0.0.0.0/0' },
        { destination: '198.51.100.0/24' },
        { destination: '203.0.113.0/24' },
        { destination: '2001:db8:1::/64' },
        { destination: 'fe80::/64' },
        { destination: 'fe80::/64' },
      ],
    },
  };
  it('given a node state, should count interfaces by type (no type: unknown)', () => {
    expect(flat(networkInterfaces([nns('n1', state)]))).toEqual({ 'type=ethernet,node=n1': 2, 'type=linux-bridge,node=n1': 1, 'type=loopback,node=n1': 1, 'type=unknown,node=n1': 1 });
  });
  it('given a node state, should count running routes by IP stack, static when the destination is configured', () => {
    expect(flat(routes([nns('n1', state)]))).toEqual({ 'node=n1,ip_stack=ipv4,type=dynamic': 2, 'node=n1,ip_stack=ipv4,type=static': 1, 'node=n1,ip_stack=ipv6,type=dynamic': 2, 'node=n1,ip_stack=ipv6,type=static': 1 });
  });
  it('given a state not yet reported or malformed, should show nothing for that node', () => {
    expect(networkInterfaces([nns('n2', undefined), nns('n3', { interfaces: 'x' })])).toEqual([]);
    expect(routes([nns('n2', undefined), nns('n3', { routes: { running: null } })])).toEqual([]);
  });
});

describe('knmstate_rollouts and knmstate_rollouts_paused', () => {
  it('given rollouts in several phases, should count each phase, every phase shown', () => {
    const r = flat(rolloutsByPhase([policy('Completed'), policy('Completed'), policy('Progressing'), policy('Paused'), policy()]));
    expect(r).toMatchObject({ 'phase=Completed': 2, 'phase=Progressing': 1, 'phase=Paused': 1, 'phase=Halted': 0, 'phase=Pending': 0 });
    expect(Object.keys(r)).toHaveLength(9);
  });
  it('given a paused rollout, a manual gate and a timed soak, should count the pause and the gate only', () => {
    const ps = [policy('Paused'), policy('Waiting', cond(), { rollout: { phase: 'Waiting', gate: { afterWave: 1 } } }), policy('Waiting', cond(), { rollout: { phase: 'Waiting', gate: { afterWave: 1, until: '2026-11-30T06:00:00Z' } } }), policy('Completed')];
    expect(flat(pausedRollouts(ps))).toEqual({ 'reason=spec': 1, 'reason=gate': 1 });
  });
});

describe('NodeCompletions', () => {
  const p = (nodes: NonNullable<NonNullable<NonNullable<PolicyLike['status']>['rollout']>['nodes']>, uid = 'u1'): PolicyLike => ({ metadata: { name: 'p', uid }, status: { rollout: { phase: 'Progressing', nodes } } });
  const since = Date.parse('2026-11-30T05:00:00Z');
  it('given status updates, should report each node once when it reaches Succeeded or Failed, with its duration', () => {
    const c = new NodeCompletions(since);
    expect(c.update(p([{ name: 'a', phase: 'Applying', startTime: '2026-11-30T05:00:01.000Z' }]))).toEqual([]);
    const first = c.update(p([
      { name: 'a', phase: 'Succeeded', startTime: '2026-11-30T05:00:01.000Z', completionTime: '2026-11-30T05:00:03.500Z' },
      { name: 'b', phase: 'Failed', startTime: '2026-11-30T05:00:01.000Z', completionTime: '2026-11-30T05:00:02.000Z' },
      { name: 'c', phase: 'Aborted', completionTime: '2026-11-30T05:00:02.000Z' },
    ]));
    expect(first).toEqual([
      { policy: 'p', node: 'a', phase: 'Succeeded', seconds: 2.5 },
      { policy: 'p', node: 'b', phase: 'Failed', seconds: 1 },
    ]);
    // The same status again (a later report, a re-list): nothing new.
    expect(c.update(p([{ name: 'a', phase: 'Succeeded', startTime: '2026-11-30T05:00:01.000Z', completionTime: '2026-11-30T05:00:03.500Z' }]))).toEqual([]);
    // A new generation completes the node again: reported.
    expect(c.update(p([{ name: 'a', phase: 'Succeeded', startTime: '2026-11-30T05:01:00.000Z', completionTime: '2026-11-30T05:01:01.000Z' }]))).toHaveLength(1);
  });
  it('given completions from before the controller started, should not report them, nor later sightings of them', () => {
    const c = new NodeCompletions(since);
    const old = p([{ name: 'a', phase: 'Succeeded', startTime: '2026-11-30T04:59:00.000Z', completionTime: '2026-11-30T04:59:02.000Z' }]);
    expect(c.update(old)).toEqual([]);
    expect(c.update(old)).toEqual([]);
  });
  it('given a policy deleted and re-created (new uid), should report its nodes again', () => {
    const c = new NodeCompletions(since);
    const nodes = [{ name: 'a', phase: 'Succeeded' as const, startTime: '2026-11-30T05:00:01.000Z', completionTime: '2026-11-30T05:00:02.000Z' }];
    expect(c.update(p(nodes, 'u1'))).toHaveLength(1);
    c.forget(p(nodes, 'u1'));
    expect(c.update(p(nodes, 'u2'))).toHaveLength(1);
  });
});
