import { describe, expect, it } from '@jest/globals';
import { matchesNodeSelector, matchesNodeSelectorTerms, orderNodes, planRollout, planWaves, startsNewRollout, type NodeInfo } from './rollout.ts';
import { resolveProbes } from './probes.ts';
import { failureBudget, formatDuration, maxUnavailableLimit, parseDuration, parseIntOrPercent } from './quantities.ts';
import { nncpSpec, type NncpSpec } from './nncp.ts';

const nodes = (n: number, zone = (i: number): string => `zone-${'abc'[i % 3]}`): NodeInfo[] =>
  Array.from({ length: n }, (_, i) => ({ name: `node-${String(i + 1).padStart(2, '0')}`, labels: { 'topology.kubernetes.io/zone': zone(i), 'node-role.kubernetes.io/worker': '' } }));

describe('maxUnavailable maths (upstream truth table)', () => {
  it.each([
    [5, '50%', 3],
    [6, '50%', 3],
    [5, 3, 3],
    [6, 3, 3],
    [5, '0%', 1],
    [5, 0, 1],
    [5, undefined, 3],
  ])('given %i nodes and maxUnavailable %p, should allow %i at once', (total, value, limit) => {
    expect(maxUnavailableLimit(value, total)).toEqual({ limit });
  });

  it.each([['asdf'], ['42']])('given the unparsable value %p, should fall back to 50%% and report the error', (value) => {
    const r = maxUnavailableLimit(value, 5);
    expect(r.limit).toBe(3);
    expect(r.error).toMatch(/maxUnavailable: must be an integer >= 0 or a percentage/);
  });
});

describe('failure budget', () => {
  it('given no maxFailures, should stop when failures reach the maxUnavailable limit (upstream)', () => {
    expect(failureBudget(undefined, '50%', 6)).toBe(2);
    expect(failureBudget(undefined, 1, 6)).toBe(0);
  });
  it('given maxFailures, should use it, percentages rounded down', () => {
    expect(failureBudget(0, '50%', 6)).toBe(0);
    expect(failureBudget('10%', '50%', 25)).toBe(2);
    expect(failureBudget('100%', 1, 7)).toBe(7);
  });
});

describe('int-or-percent and durations', () => {
  it('given valid and invalid values, should parse or name the field and rule', () => {
    expect(parseIntOrPercent('100%')).toEqual({ kind: 'percent', value: 100 });
    expect(parseIntOrPercent(7)).toEqual({ kind: 'count', value: 7 });
    expect(() => parseIntOrPercent('101%', 'spec.maxUnavailable')).toThrow(/spec.maxUnavailable: must be an integer >= 0 or a percentage/);
    expect(() => parseIntOrPercent(-1, 'x')).toThrow(/x:/);
    expect(() => parseIntOrPercent(1.5, 'x')).toThrow(/x:/);
  });
  it('given Go-style durations, should convert them to milliseconds and back', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('250ms')).toBe(250);
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(() => parseDuration('1d', 'pause')).toThrow(/pause: must be a duration/);
    expect(() => parseDuration('', 'pause')).toThrow(/pause/);
  });
});

describe('node selection', () => {
  const labels = { 'kubernetes.io/hostname': 'n1', rack: '7', tier: 'edge' };
  it('given an equality selector, should need every pair (empty matches all)', () => {
    expect(matchesNodeSelector(undefined, labels)).toBe(true);
    expect(matchesNodeSelector({}, labels)).toBe(true);
    expect(matchesNodeSelector({ tier: 'edge' }, labels)).toBe(true);
    expect(matchesNodeSelector({ tier: 'edge', rack: '8' }, labels)).toBe(false);
  });
  it('given selector terms, should OR the terms and AND their requirements', () => {
    const t = (key: string, operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt', values?: string[]) => ({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] });
    expect(matchesNodeSelectorTerms([t('tier', 'In', ['edge', 'core'])], labels)).toBe(true);
    expect(matchesNodeSelectorTerms([t('tier', 'NotIn', ['edge'])], labels)).toBe(false);
    expect(matchesNodeSelectorTerms([t('missing', 'NotIn', ['x'])], labels)).toBe(true);
    expect(matchesNodeSelectorTerms([t('rack', 'Gt', ['5'])], labels)).toBe(true);
    expect(matchesNodeSelectorTerms([t('rack', 'Lt', ['5'])], labels)).toBe(false);
    expect(matchesNodeSelectorTerms([t('tier', 'Gt', ['5'])], labels)).toBe(false);
    expect(matchesNodeSelectorTerms([t('missing', 'Exists'), t('tier', 'Exists')], labels)).toBe(true);
    expect(matchesNodeSelectorTerms([{ matchExpressions: [{ key: 'tier', operator: 'Exists' }, { key: 'rack', operator: 'DoesNotExist' }] }], labels)).toBe(false);
  });
});

describe('ordering and waves', () => {
  it('given no order, should sort by name in byte order', () => {
    const ns = [{ name: 'b' }, { name: 'B' }, { name: 'a' }];
    expect(orderNodes(ns).map((n) => n.name)).toEqual(['B', 'a', 'b']);
  });
  it('given a zone label then name, should group by zone with missing labels last', () => {
    const ns = [...nodes(5), { name: 'node-00' }];
    const order = orderNodes(ns, [{ label: 'topology.kubernetes.io/zone' }, { field: 'name' }]).map((n) => n.name);
    expect(order).toEqual(['node-01', 'node-04', 'node-02', 'node-05', 'node-03', 'node-00']);
    const desc = orderNodes(ns, [{ label: 'topology.kubernetes.io/zone', descending: true }]).map((n) => n.name);
    expect(desc).toEqual(['node-03', 'node-02', 'node-05', 'node-01', 'node-04', 'node-00']);
  });
  it('given canary, 10% and the rest, should cut 1, ceil(10%), then the remainder', () => {
    const w = planWaves(nodes(25), [{ nodes: 1, pause: 'manual' }, { nodes: '10%', pause: '10m' }]);
    expect(w.map((x) => x.nodes.length)).toEqual([1, 3, 21]);
    expect(w.map((x) => x.pause)).toEqual([{ kind: 'manual' }, { kind: 'timer', ms: 600_000 }, { kind: 'none' }]);
    expect(w.map((x) => x.number)).toEqual([1, 2, 3]);
  });
  it('given waves larger than the cluster, should drop empty waves and the last pause', () => {
    const w = planWaves(nodes(2), [{ nodes: 1, pause: '1m' }, { nodes: 5, pause: 'manual' }, { nodes: 1 }]);
    expect(w.map((x) => x.nodes.length)).toEqual([1, 1]);
    expect(w[1]!.pause).toEqual({ kind: 'none' });
    expect(planWaves([], [{ nodes: 1 }])).toEqual([]);
    expect(planWaves(nodes(3), undefined).map((x) => x.nodes.length)).toEqual([3]);
  });
});

describe('planRollout', () => {
  it('given an upstream spec, should give upstream behaviour: one wave, 50%, halt at maxUnavailable failures', () => {
    const spec = nncpSpec.parse({ nodeSelector: { 'node-role.kubernetes.io/worker': '' }, desiredState: {} });
    const plan = planRollout(spec, [...nodes(5), { name: 'cp', labels: {} }]);
    expect(plan.nodes).toHaveLength(5);
    expect(plan.waves).toHaveLength(1);
    expect(plan.maxUnavailable).toBe(3);
    expect(plan.failureBudget).toBe(2);
    expect(plan.onFailure).toBe('halt');
    expect(plan.paused).toBe(false);
    expect(plan.probes).toEqual(resolveProbes(undefined));
    expect(plan.probes.dns).toEqual({ enabled: true, timeoutMs: 120_000 });
  });
  it('given probe settings, should apply them over the defaults', () => {
    const p = resolveProbes({ dns: { enabled: false }, ping: { timeout: '30s' } });
    expect(p.dns.enabled).toBe(false);
    expect(p.ping.timeoutMs).toBe(30_000);
    expect(p.apiServer).toEqual({ enabled: true, timeoutMs: 120_000 });
  });
});

describe('startsNewRollout', () => {
  const base: NncpSpec = { desiredState: { interfaces: [] }, maxUnavailable: 1, rollout: { paused: false, waves: [{ nodes: 1 }] } };
  it('given only rollout.paused changed, should not start a new rollout', () => {
    expect(startsNewRollout(base, { ...base, rollout: { ...base.rollout, paused: true } })).toBe(false);
    expect(startsNewRollout(base, { ...base, rollout: { waves: [{ nodes: 1 }] } })).toBe(false);
  });
  it('given a desiredState or rollout change, should start a new rollout', () => {
    expect(startsNewRollout(base, { ...base, desiredState: { interfaces: [{ name: 'eth1' }] } })).toBe(true);
    expect(startsNewRollout(base, { ...base, rollout: { ...base.rollout, waves: [{ nodes: 2 }] } })).toBe(true);
    expect(startsNewRollout(base, { ...base, maxUnavailable: 2 })).toBe(true);
  });
});
