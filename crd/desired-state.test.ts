import { describe, expect, it } from '@jest/globals';
import { parseNmstateBool, parseNmstateInt, validateDesiredState, type DesiredStateError } from './desired-state.ts';
import { interfaceNameProblem, isIPv4, isIPv6, parseCidr } from './net.ts';

const one = (state: unknown): DesiredStateError => {
  const errs = validateDesiredState(state);
  expect(errs).toHaveLength(1);
  return errs[0]!;
};

describe('validateDesiredState', () => {
  it('given an empty or missing state, should accept it', () => {
    expect(validateDesiredState(undefined)).toEqual([]);
    expect(validateDesiredState(null)).toEqual([]);
    expect(validateDesiredState({})).toEqual([]);
  });

  it('given a full valid state (bridge, bond, vlan, routes, dns, rules), should accept it', () => {
    const state = {
      interfaces: [
        { name: 'br1', type: 'linux-bridge', state: 'up', ipv4: { enabled: true, dhcp: false, address: [{ ip: '203.0.113.10', 'prefix-length': 24 }] }, bridge: { options: { stp: { enabled: false } }, port: [{ name: 'eth1', vlan: { mode: 'trunk', tag: 100 } }] } },
        { name: 'bond0', type: 'bond', state: 'up', 'link-aggregation': { mode: 'active-backup', options: { miimon: '100' }, port: ['eth1', 'eth2'] } },
        { name: 'eth1.102', type: 'vlan', state: 'up', vlan: { 'base-iface': 'eth1', id: 102 }, ipv6: { enabled: true, autoconf: false, address: [{ ip: '2001:db8::10', 'prefix-length': 64 }] } },
        { name: 'eth2', state: 'absent' },
      ],
      routes: { config: [{ destination: '198.51.100.0/24', 'next-hop-address': '203.0.113.1', 'next-hop-interface': 'br1', metric: 150, 'table-id': 254 }, { 'next-hop-interface': 'eth2', state: 'absent' }] },
      'route-rules': { config: [{ 'ip-from': '203.0.113.0/24', 'route-table': 200, priority: 1000 }] },
      'dns-resolver': { config: { server: ['198.51.100.1', '2001:db8::53', 'fe80::1%eth1'], search: ['knmstate.test', 'example.com.'] } },
    };
    expect(validateDesiredState(state)).toEqual([]);
  });

  it.each([
    ['an interface given by name only', { interfaces: [{ name: 'eth1', state: 'down' }] }],
    ['an interface with neither type nor state', { interfaces: [{ name: 'eth1', mtu: 1400 }] }],
    ['options on an existing bond without a mode', { interfaces: [{ name: 'bond0', type: 'bond', state: 'up', 'link-aggregation': { options: { miimon: 140 } } }] }],
    ['a bond without a link-aggregation block', { interfaces: [{ name: 'bond0', type: 'bond', state: 'up', mtu: 9000 }] }],
    ['an existing vlan given only an id', { interfaces: [{ name: 'vlan0', type: 'vlan', state: 'up', vlan: { id: 4 } }] }],
    ['an existing vlan without a vlan block', { interfaces: [{ name: 'eth1.10', type: 'vlan', state: 'up' }] }],
    ['quoted booleans and integers', { interfaces: [{ name: 'eth1', type: 'ethernet', mtu: '1500', ipv4: { enabled: 'true', dhcp: 'False', address: [{ ip: '192.0.2.1', 'prefix-length': '24' }] }, ipv6: { enabled: 'yes', autoconf: 'off', dhcp: 0, address: [{ ip: '2001:db8::1', 'prefix-length': '+64' }] } }] }],
    ['a hexadecimal table id and a default metric', { routes: { config: [{ destination: '0.0.0.0/0', 'next-hop-interface': 'eth1', 'table-id': '0xfe', metric: -1 }] } }],
    ['bond mode lacp and mode 4', { interfaces: [{ name: 'bond0', type: 'bond', 'link-aggregation': { mode: 'lacp' } }, { name: 'bond1', type: 'bond', 'link-aggregation': { mode: 4 } }] }],
    ['state unknown and an ip-tunnel', { interfaces: [{ name: 'eth1', state: 'unknown' }, { name: 'tun0', type: 'ip-tunnel', state: 'absent' }] }],
  ])('given %s (decided on the node or read leniently by nmstate), should accept it', (_what, state) => {
    expect(validateDesiredState(state)).toEqual([]);
  });

  it('given nmpolicy templates in values, should not check them', () => {
    const state = {
      interfaces: [{ name: 'brext', type: 'linux-bridge', 'mac-address': '{{ capture.base-iface.interfaces.0.mac-address }}', bridge: { port: [{ name: '{{ capture.base-iface.interfaces.0.name }}' }] } }],
      routes: { config: '{{ capture.gw.routes.running }}' },
    };
    expect(validateDesiredState(state)).toEqual([]);
  });

  it('given a bad prefix length deep in a list, should report its exact path and the range rule', () => {
    const e = one({ interfaces: [{ name: 'eth1', type: 'ethernet', ipv4: { address: [{ ip: '203.0.113.5', 'prefix-length': 24 }, { ip: '203.0.113.6', 'prefix-length': 33 }] } }] });
    expect(e.path).toBe('interfaces[0].ipv4.address[1].prefix-length');
    expect(e.rule).toBe('range');
    expect(e.message).toContain('interfaces[0].ipv4.address[1].prefix-length');
  });

  it.each([
    ['a state that is not an object', 'eth1', '', 'type'],
    ['an unknown top-level key', { interface: [] }, 'interface', 'unknown-field'],
    ['interfaces not a list', { interfaces: { name: 'eth1' } }, 'interfaces', 'type'],
    ['an interface without a name', { interfaces: [{ type: 'ethernet' }] }, 'interfaces[0].name', 'required'],
    ['an unknown interface type', { interfaces: [{ name: 'eth1', type: 'ethernett' }] }, 'interfaces[0].type', 'interface-type'],
    ['an unknown state', { interfaces: [{ name: 'eth1', type: 'ethernet', state: 'enabled' }] }, 'interfaces[0].state', 'interface-state'],
    ['a 16-byte interface name', { interfaces: [{ name: 'abcdefghijklmnop', type: 'ethernet' }] }, 'interfaces[0].name', 'interface-name'],
    ['an interface name with a slash', { interfaces: [{ name: 'eth/1', type: 'ethernet' }] }, 'interfaces[0].name', 'interface-name'],
    ['a duplicate interface', { interfaces: [{ name: 'eth1', type: 'ethernet' }, { name: 'eth1', type: 'ethernet' }] }, 'interfaces[1].name', 'duplicate-interface'],
    ['a bad IPv4 address', { interfaces: [{ name: 'eth1', type: 'ethernet', ipv4: { address: [{ ip: '203.0.113.256', 'prefix-length': 24 }] } }] }, 'interfaces[0].ipv4.address[0].ip', 'ip-address'],
    ['an IPv6 address under ipv4', { interfaces: [{ name: 'eth1', type: 'ethernet', ipv4: { address: [{ ip: '2001:db8::1', 'prefix-length': 24 }] } }] }, 'interfaces[0].ipv4.address[0].ip', 'ip-family'],
    ['a prefix length "24.0"', { interfaces: [{ name: 'eth1', type: 'ethernet', ipv4: { address: [{ ip: '203.0.113.5', 'prefix-length': '24.0' }] } }] }, 'interfaces[0].ipv4.address[0].prefix-length', 'type'],
    ['a prefix length "33" (a string out of range)', { interfaces: [{ name: 'eth1', type: 'ethernet', ipv4: { address: [{ ip: '203.0.113.5', 'prefix-length': '33' }] } }] }, 'interfaces[0].ipv4.address[0].prefix-length', 'range'],
    ['a float MTU', { interfaces: [{ name: 'eth1', type: 'ethernet', mtu: 1500.5 }] }, 'interfaces[0].mtu', 'type'],
    ['dhcp "maybe"', { interfaces: [{ name: 'eth1', type: 'ethernet', ipv4: { dhcp: 'maybe' } }] }, 'interfaces[0].ipv4.dhcp', 'type'],
    ['enabled 2', { interfaces: [{ name: 'eth1', type: 'ethernet', ipv4: { enabled: 2 } }] }, 'interfaces[0].ipv4.enabled', 'type'],
    ['a bad bond mode', { interfaces: [{ name: 'bond0', type: 'bond', 'link-aggregation': { mode: 'round-robin', port: ['eth1'] } }] }, 'interfaces[0].link-aggregation.mode', 'enum'],
    ['a vlan id over 4094', { interfaces: [{ name: 'eth1.5000', type: 'vlan', vlan: { 'base-iface': 'eth1', id: 5000 } }] }, 'interfaces[0].vlan.id', 'range'],
    ['a bridge port without a name', { interfaces: [{ name: 'br1', type: 'linux-bridge', bridge: { port: [{}] } }] }, 'interfaces[0].bridge.port[0].name', 'required'],
    ['a bad MAC address', { interfaces: [{ name: 'eth1', type: 'ethernet', 'mac-address': '02:00:00:00:00' }] }, 'interfaces[0].mac-address', 'mac-address'],
    ['a route without destination', { routes: { config: [{ 'next-hop-interface': 'eth1' }] } }, 'routes.config[0].destination', 'required'],
    ['a route with a bad destination', { routes: { config: [{ destination: '198.51.100.0/33', 'next-hop-interface': 'eth1' }] } }, 'routes.config[0].destination', 'cidr'],
    ['a route with a bad next hop', { routes: { config: [{ destination: '198.51.100.0/24', 'next-hop-address': 'gateway' }] } }, 'routes.config[0].next-hop-address', 'ip-address'],
    ['a route with a mixed-family next hop', { routes: { config: [{ destination: '198.51.100.0/24', 'next-hop-address': '2001:db8::1' }] } }, 'routes.config[0].next-hop-address', 'ip-family'],
    ['a metric of -2 (-1 is the default metric)', { routes: { config: [{ destination: '0.0.0.0/0', metric: -2 }] } }, 'routes.config[0].metric', 'range'],
    ['a table id of "-1"', { routes: { config: [{ destination: '0.0.0.0/0', 'table-id': '-1' }] } }, 'routes.config[0].table-id', 'type'],
    ['a DNS server that is a name', { 'dns-resolver': { config: { server: ['dns.example.com'] } } }, 'dns-resolver.config.server[0]', 'dns-server'],
    ['a bad DNS search domain', { 'dns-resolver': { config: { search: ['bad domain'] } } }, 'dns-resolver.config.search[0]', 'dns-search'],
  ])('given %s, should report it at the field with its rule', (_what, state, path, rule) => {
    const e = one(state);
    expect(e.path).toBe(path);
    expect(e.rule).toBe(rule);
    expect(e.message.startsWith(path || 'desiredState')).toBe(true);
  });
});

describe('nmstate scalars', () => {
  it('given booleans in the forms nmstate reads, should parse them; given others, should refuse them', () => {
    for (const t of [true, 1, 'true', 'True', 'YES', 'on', 'y', '1']) expect(parseNmstateBool(t)).toBe(true);
    for (const f of [false, 0, 'false', 'no', 'Off', 'N', '0']) expect(parseNmstateBool(f)).toBe(false);
    for (const bad of [2, -1, '', 'maybe', 'enabled', null, [], {}]) expect(parseNmstateBool(bad)).toBeUndefined();
  });

  it('given integers in the forms nmstate reads, should parse them; given others, should refuse them', () => {
    expect(parseNmstateInt(24)).toBe(24);
    expect(parseNmstateInt('24')).toBe(24);
    expect(parseNmstateInt('+24')).toBe(24);
    expect(parseNmstateInt('033')).toBe(33);
    expect(parseNmstateInt('0x18')).toBe(24);
    expect(parseNmstateInt('-1', true)).toBe(-1);
    expect(parseNmstateInt(-1, true)).toBe(-1);
    for (const bad of [-1, '-1', 24.5, '24.0', ' 24', '1e1', 'abc', '', true, null]) expect(parseNmstateInt(bad)).toBeUndefined();
    expect(parseNmstateInt('0x18', true)).toBeUndefined();
  });
});

describe('address helpers', () => {
  it('given IPv4 and IPv6 texts, should classify them like inet_pton', () => {
    for (const ok of ['0.0.0.0', '198.51.100.10', '255.255.255.255']) expect(isIPv4(ok)).toBe(true);
    for (const bad of ['256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '', 'a.b.c.d']) expect(isIPv4(bad)).toBe(false);
    for (const ok of ['::', '::1', '2001:db8::', '2001:db8:0:0:0:0:0:1', '::ffff:198.51.100.1', 'fe80::1:2']) expect(isIPv6(ok)).toBe(true);
    for (const bad of [':', '2001:db8:::1', '1:2:3:4:5:6:7:8:9', '2001:db8::g', '1::2::3', '12345::']) expect(isIPv6(bad)).toBe(false);
  });

  it('given prefixes, should parse them with the family limit', () => {
    expect(parseCidr('198.51.100.0/24')).toEqual({ ip: '198.51.100.0', prefix: 24, family: 4 });
    expect(parseCidr('::/0')).toEqual({ ip: '::', prefix: 0, family: 6 });
    expect(parseCidr('198.51.100.0/33')).toBeNull();
    expect(parseCidr('2001:db8::/129')).toBeNull();
    expect(parseCidr('198.51.100.0')).toBeNull();
  });

  it('given interface names, should apply the kernel rules', () => {
    expect(interfaceNameProblem('eth1')).toBeNull();
    expect(interfaceNameProblem('abcdefghijklmno')).toBeNull();
    expect(interfaceNameProblem('abcdefghijklmnop')).toMatch(/15 bytes/);
    expect(interfaceNameProblem('..')).not.toBeNull();
    expect(interfaceNameProblem('a b')).not.toBeNull();
    expect(interfaceNameProblem('a:b')).not.toBeNull();
  });
});
