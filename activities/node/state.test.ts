/** State comparison, the restore state and the diff summary (pure). */
import { describe, expect, it } from '@jest/globals';
import { compareStates, diffSummary, fullScope, isEmptyState, lostLinkLocal, normalizeState, restoreState, scopeOf, withDefaultBridgeVlan } from './state.ts';
import { base, eth, gwRoute, v4 } from '../../hack/fixtures/node-state.ts';

describe('state comparison and restore', () => {
  it('given the same state with different runtime fields (MAC, address protocol, ethtool), should find no difference', () => {
    const a = base();
    const b = base();
    (b.interfaces[1] as Record<string, unknown>)['mac-address'] = '02:00:00:00:00:99';
    (b.interfaces[1] as Record<string, unknown>).ipv6 = { enabled: true, address: [{ ip: 'fe80::4', 'prefix-length': 64 }] };
    (b.interfaces[1] as Record<string, unknown>).ethtool = {};
    expect(compareStates(normalizeState(a), normalizeState(b), fullScope())).toEqual([]);
  });

  it('given a bridge created over eth1, should remove the bridge (which releases eth1) and nothing else', () => {
    const before = base();
    const now = base();
    now.interfaces.push({ name: 'br1', type: 'linux-bridge', state: 'up', ipv4: { enabled: true, address: [v4('203.0.113.11')] }, bridge: { port: [{ name: 'eth1', 'stp-priority': 32 }] } } as never);
    (now.interfaces[1] as Record<string, unknown>).controller = 'br1';
    const desired = { interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'up', bridge: { port: [{ name: 'eth1' }] } }] };
    const b = normalizeState(before);
    const scope = scopeOf(desired, b);
    expect([...scope.interfaces].sort()).toEqual(['br1', 'eth1']);
    expect(compareStates(b, normalizeState(now), scope)).toEqual(expect.arrayContaining(['interfaces.br1: new linux-bridge (was not there)', 'interfaces.eth1.controller: none → br1']));
    const plan = restoreState(b, normalizeState(now), scope);
    expect(plan.state).toEqual({ interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'absent' }] });
  });

  it('given a broken gateway (eth0 readdressed, default route replaced), should restore the address, remove the new route exactly and re-add the old one', () => {
    const before = base();
    const now = base();
    now.interfaces[0] = eth('eth0', { ipv4: { enabled: true, address: [v4('198.51.100.211')] } });
    const bad = { ...gwRoute, 'next-hop-address': '198.51.100.254' };
    now.routes = { config: [bad], running: [bad] };
    const desired = { interfaces: [{ name: 'eth0', type: 'veth', ipv4: { enabled: true, address: [v4('198.51.100.211')] } }], routes: { config: [{ destination: '0.0.0.0/0', state: 'absent' }, bad] } };
    const b = normalizeState(before);
    const plan = restoreState(b, normalizeState(now), scopeOf(desired, b));
    expect(plan.state).toEqual({
      interfaces: [{ name: 'eth0', type: 'veth', state: 'up', ipv4: { enabled: true, dhcp: false, address: [{ ip: '198.51.100.11', 'prefix-length': 24 }] } }],
      routes: {
        config: [
          { destination: '0.0.0.0/0', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.254', 'table-id': 254, state: 'absent' },
          { destination: '0.0.0.0/0', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.1', 'table-id': 254 },
        ],
      },
    });
  });

  it('given an interface that appeared outside the desired state (a pod veth), should leave it alone', () => {
    const before = base();
    const now = base();
    now.interfaces.push(eth('cali123'));
    const b = normalizeState(before);
    const scope = scopeOf({ interfaces: [{ name: 'eth1', type: 'veth', state: 'up' }] }, b);
    expect(compareStates(b, normalizeState(now), scope)).toEqual([]);
    expect(restoreState(b, normalizeState(now), scope).state).toEqual({});
    expect(compareStates(b, normalizeState(now), fullScope())).toEqual(['interfaces.cali123: new veth (was not there)']);
  });

  it('given an interface the apply removed, should recreate it with its addresses and ports', () => {
    const before = base();
    before.interfaces.push({ name: 'br0', type: 'linux-bridge', state: 'up', ipv4: { enabled: true, address: [v4('203.0.113.5')] }, ipv6: { enabled: false }, bridge: { port: [{ name: 'eth2' }] } } as never);
    const now = base();
    const b = normalizeState(before);
    const plan = restoreState(b, normalizeState(now), scopeOf({ interfaces: [{ name: 'br0', state: 'absent' }] }, b));
    expect(plan.state.interfaces).toEqual([
      { name: 'br0', type: 'linux-bridge', state: 'up', bridge: { port: [{ name: 'eth2' }] }, ipv4: { enabled: true, dhcp: false, address: [{ ip: '203.0.113.5', 'prefix-length': 24 }] }, ipv6: { enabled: false } },
    ]);
  });

  it('given a static IPv6 address that replaced the link-local one, should ask for the link-local address back and report it as missing', () => {
    const before = base();
    const now = base();
    now.interfaces[1] = eth('eth1', { ipv6: { enabled: true, address: [{ ip: '2001:db8:1::1', 'prefix-length': 64 }] } });
    const b = normalizeState(before);
    const scope = scopeOf({ interfaces: [{ name: 'eth1' }] }, b);
    expect(compareStates(b, normalizeState(now), scope)).toEqual(['interfaces.eth1.ipv6.address: [] → [2001:db8:1::1/64]', 'interfaces.eth1.ipv6: link-local address missing']);
    const after = base();
    after.interfaces[1] = eth('eth1', { ipv6: { enabled: true } });
    expect(lostLinkLocal(b, normalizeState(after), scope)).toEqual([{ iface: 'eth1', address: 'fe80::4/64' }]);
  });

  it('given a route whose metric NetworkManager reassigned after a checkpoint rollback, should ignore the metric only when asked', () => {
    const before = base();
    const now = base();
    const withMetric = { ...gwRoute, metric: 100 };
    now.routes = { config: [withMetric], running: [withMetric] };
    const b = normalizeState(before);
    const scope = scopeOf({ routes: { config: [gwRoute] } }, b);
    expect(compareStates(b, normalizeState(now), scope)).toHaveLength(4);
    expect(compareStates(b, normalizeState(now), scope, { ignoreRouteMetric: true })).toEqual([]);
  });

  it('given changed DNS, should restore the snapshot config', () => {
    const before = base();
    const now = base();
    now['dns-resolver'] = { config: { server: ['198.51.100.53'], search: [] }, running: { server: ['198.51.100.53'], search: [] } };
    const b = normalizeState(before);
    const plan = restoreState(b, normalizeState(now), scopeOf({ 'dns-resolver': { config: { server: ['198.51.100.53'] } } }, b));
    expect(plan.state).toEqual({ 'dns-resolver': { config: { server: ['198.51.100.1'], search: ['knmstate.test'] } } });
  });
});

describe('diff summary (plan)', () => {
  it('given a bridge, a route and a removal, should list what each would do', () => {
    const d = diffSummary(base(), {
      interfaces: [
        { name: 'br1', type: 'linux-bridge', state: 'up', bridge: { port: [{ name: 'eth1' }] } },
        { name: 'eth0', type: 'veth', state: 'up', ipv4: { enabled: true, address: [v4('198.51.100.11')] } },
        { name: 'eth2', type: 'veth', state: 'absent' },
      ],
      routes: { config: [{ destination: '203.0.113.128/25', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.1' }, { 'next-hop-interface': 'eth0', destination: '0.0.0.0/0', state: 'absent' }] },
    });
    expect(d.interfaces).toEqual({ create: ['br1'], modify: [], remove: ['eth2'], unchanged: ['eth0'] });
    expect(d.routes.add).toEqual(['203.0.113.128/25 via 198.51.100.1 dev eth0 table 254']);
    expect(d.routes.remove).toEqual(['0.0.0.0/0 via 198.51.100.1 dev eth0 table 254']);
    expect(d.changes).toBe(4);
  });

  it('given a state the node already has, should report no change', () => {
    expect(diffSummary(base(), { interfaces: [{ name: 'eth1', type: 'veth', state: 'up' }], routes: { config: [gwRoute] } }).changes).toBe(0);
  });

  it('given empty renders, should call them empty but not a DNS purge', () => {
    expect(isEmptyState({})).toBe(true);
    expect(isEmptyState({ interfaces: [], routes: { config: [] }, ovn: {} })).toBe(true);
    expect(isEmptyState({ 'dns-resolver': { config: {} } })).toBe(false);
  });

  it('given an up linux bridge, should add upstream default VLAN trunk to ports without vlan only', () => {
    const out = withDefaultBridgeVlan({ interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'up', bridge: { port: [{ name: 'eth1' }, { name: 'eth2', vlan: {} }] } }] });
    expect((out.interfaces as { bridge: { port: unknown[] } }[])[0]!.bridge.port).toEqual([
      { name: 'eth1', vlan: { mode: 'trunk', 'trunk-tags': [{ 'id-range': { min: 2, max: 4094 } }] } },
      { name: 'eth2', vlan: {} },
    ]);
  });
});
