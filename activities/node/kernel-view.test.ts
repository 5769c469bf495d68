import { describe, expect, it } from '@jest/globals';
import { kernelDiffs, linkAndAddressRepair, routeOnlyDrift, parseKernelView, routeRepair, withRouteDevices, type KernelView } from './kernel-view.ts';
import { fullScope, type Scope } from './state.ts';

/** A fresh simulated node's eth0 as iproute2 prints it: configured with `ip`, not NetworkManager. */
const link = (addrGenMode: string) => [{ ifname: 'eth0', flags: ['BROADCAST', 'UP'], mtu: 1500, linkinfo: { info_kind: 'veth' }, inet6_addr_gen_mode: addrGenMode, address: 'ea:70:ea:74:16:11' }];
const before: KernelView = parseKernelView(
  link('eui64'),
  [{ ifname: 'eth0', addr_info: [{ family: 'inet', local: '198.51.100.11', prefixlen: 24, scope: 'global', valid_life_time: 4294967295 }, { family: 'inet6', local: 'fe80::e870:eaff:fe74:1611', prefixlen: 64, scope: 'link' }] }],
  [
    { dst: 'default', gateway: '198.51.100.1', dev: 'eth0', flags: [] },
    { dst: '198.51.100.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '198.51.100.11', flags: [] },
    { type: 'local', dst: '198.51.100.11', dev: 'eth0', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '198.51.100.11' },
  ],
  [{ dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel', metric: 256, pref: 'medium' }],
);
/** The same node after a checkpoint rollback re-activated eth0 as NetworkManager's own profile. */
const takenOver: KernelView = parseKernelView(
  link('none'),
  [{ ifname: 'eth0', addr_info: [{ family: 'inet', local: '198.51.100.11', prefixlen: 24, broadcast: '198.51.100.255', scope: 'global', noprefixroute: true }, { family: 'inet6', local: 'fe80::e7d1:9732:5e39:78ab', prefixlen: 64, scope: 'link', noprefixroute: true, tentative: true }] }],
  [
    { dst: 'default', gateway: '198.51.100.1', dev: 'eth0', protocol: 'static', metric: 100, flags: [] },
    { dst: '198.51.100.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '198.51.100.11', metric: 100, flags: [] },
  ],
  [{ dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel', metric: 1024, pref: 'medium' }],
);
const only = (...names: string[]): Scope => ({ ...fullScope(), all: false, allRoutes: false, interfaces: new Set(names), routeInterfaces: new Set(names) });

describe('kernel view: what an operator sees with ip', () => {
  it('given iproute2 JSON, should read default routes as 0.0.0.0/0 and ::/0, a missing protocol as boot and a missing metric as 0', () => {
    expect(before.routes.find((r) => r.dst === '0.0.0.0/0')).toMatchObject({ protocol: 'boot', metric: 0, table: 'main', type: 'unicast', scope: 'global' });
    expect(before.links[0]).toEqual({ name: 'eth0', kind: 'veth', up: true, mtu: 1500, master: null, addrGenMode: 'eui64' });
  });

  it('given a node NetworkManager took over, should name every difference an operator would see: protocol and metric, link-local value, flags, broadcast, addr-gen-mode', () => {
    expect(kernelDiffs(before, takenOver, fullScope()).sort()).toEqual(
      [
        'kernel link: missing eth0 veth up mtu 1500 master - addrgenmode eui64',
        'kernel link: extra eth0 veth up mtu 1500 master - addrgenmode none',
        'kernel address: missing eth0 198.51.100.11/24 scope global',
        'kernel address: missing eth0 fe80::e870:eaff:fe74:1611/64 scope link',
        'kernel address: extra eth0 198.51.100.11/24 scope global brd 198.51.100.255 noprefixroute',
        'kernel address: extra eth0 fe80::e7d1:9732:5e39:78ab/64 scope link noprefixroute',
        'kernel route: missing 0.0.0.0/0 via 198.51.100.1 dev eth0 table main proto boot metric 0 scope global',
        'kernel route: missing 198.51.100.0/24 dev eth0 table main proto kernel metric 0 scope link src 198.51.100.11',
        'kernel route: missing fe80::/64 dev eth0 table main proto kernel metric 256 scope global',
        'kernel route: extra 0.0.0.0/0 via 198.51.100.1 dev eth0 table main proto static metric 100 scope global',
        'kernel route: extra 198.51.100.0/24 dev eth0 table main proto kernel metric 100 scope link src 198.51.100.11',
        'kernel route: extra fe80::/64 dev eth0 table main proto kernel metric 1024 scope global',
      ].sort(),
    );
  });

  it('given equal views but for routes the kernel derives (table local) and the transient tentative flag, should find no difference', () => {
    const again = parseKernelView(link('eui64'), [{ ifname: 'eth0', addr_info: [{ family: 'inet', local: '198.51.100.11', prefixlen: 24, scope: 'global' }, { family: 'inet6', local: 'fe80::e870:eaff:fe74:1611', prefixlen: 64, scope: 'link', tentative: true }] }], before.routes.filter((r) => r.family === 4 && r.table === 'main').map((r) => ({ ...r, dst: r.dst === '0.0.0.0/0' ? 'default' : r.dst, metric: r.metric || undefined, protocol: r.protocol === 'boot' ? undefined : r.protocol })), [{ dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel', metric: 256 }]);
    expect(kernelDiffs(before, again, fullScope())).toEqual([]);
  });

  it('given the differences, should repair the link and the addresses first (changed flags need a delete and an add; IPv6 without a second duplicate address detection), then the routes with their protocol and metric', () => {
    expect(linkAndAddressRepair(before, takenOver, fullScope())).toEqual([
      'link set dev eth0 addrgenmode eui64',
      'address del 198.51.100.11/24 dev eth0',
      'address del fe80::e7d1:9732:5e39:78ab/64 dev eth0',
      'address add 198.51.100.11/24 dev eth0 scope global',
      'address add fe80::e870:eaff:fe74:1611/64 dev eth0 scope link nodad',
      'address change fe80::e870:eaff:fe74:1611/64 dev eth0 scope link',
    ]);
    expect(routeRepair(before, takenOver, fullScope())).toEqual([
      'route replace 0.0.0.0/0 via 198.51.100.1 dev eth0 table main proto boot metric 0 scope global',
      'route replace 198.51.100.0/24 dev eth0 table main proto kernel metric 0 scope link src 198.51.100.11',
      'route replace fe80::/64 dev eth0 table main proto kernel metric 256 scope global',
      'route del 0.0.0.0/0 via 198.51.100.1 dev eth0 table main proto static metric 100 scope global',
      'route del 198.51.100.0/24 dev eth0 table main proto kernel metric 100 scope link src 198.51.100.11',
      'route del fe80::/64 dev eth0 table main proto kernel metric 1024 scope global',
    ]);
  });

  it('given a scope without eth0, or a restriction to other interfaces, should neither report nor repair eth0', () => {
    expect(kernelDiffs(before, takenOver, only('eth1'))).toEqual([]);
    expect(linkAndAddressRepair(before, takenOver, fullScope(), new Set(['eth1']))).toEqual([]);
    expect(routeRepair(before, takenOver, fullScope(), new Set(['eth1']))).toEqual([]);
    expect(routeRepair(before, takenOver, only('eth0')).length).toBe(6);
  });
});

describe('kernel view: routes NetworkManager changed on a re-activation', () => {
  const view = (metric: number, extra: Record<string, unknown>[] = []): KernelView =>
    parseKernelView([{ ifname: 'eth1', flags: ['UP'], mtu: 1500, linkinfo: { info_kind: 'veth' }, inet6_addr_gen_mode: 'none' }], [{ ifname: 'eth1', addr_info: [{ family: 'inet', local: '203.0.113.41', prefixlen: 24, scope: 'global', noprefixroute: true }] }], [{ dst: '203.0.113.0/24', dev: 'eth1', protocol: 'kernel', scope: 'link', prefsrc: '203.0.113.41', metric }, ...extra], []);
  const routesVia = (dev: string): Scope => ({ ...only('eth2'), routeInterfaces: new Set(['eth2', dev]) });

  it('given only the metric of a device prefix route changed (101 → 103), should name the device even when only routes via it are in scope', () => {
    expect(routeOnlyDrift(view(101), view(103), routesVia('eth1'), new Set(['eth1']))).toEqual(['eth1']);
  });

  it('given an extra route via the device, should name it too; given an unchanged device or a changed address, should not', () => {
    expect(routeOnlyDrift(view(101), view(101, [{ dst: '203.0.113.128/25', gateway: '203.0.113.1', dev: 'eth1', protocol: 'static', metric: 100 }]), routesVia('eth1'), new Set(['eth1']))).toEqual(['eth1']);
    expect(routeOnlyDrift(view(101), view(101), routesVia('eth1'), new Set(['eth1']))).toEqual([]);
    const readdressed = view(103);
    readdressed.addresses[0]!.local = '203.0.113.49';
    expect(routeOnlyDrift(view(101), readdressed, routesVia('eth1'), new Set(['eth1']))).toEqual([]);
  });

  it("given the second fe80::/64 route NetworkManager adds on a re-apply, should not count it for NetworkManager's devices, but should for the kernel's", () => {
    const stray = (v: KernelView): KernelView => ({ ...v, routes: [...v.routes, { family: 6, table: 'main', type: 'unicast', dst: 'fe80::/64', gateway: undefined, dev: 'eth1', protocol: 'kernel', metric: 100, scope: 'global', prefsrc: undefined }] });
    expect(kernelDiffs(view(101), stray(view(101)), routesVia('eth1'), undefined, new Set(['eth1']))).toEqual([]);
    expect(kernelDiffs(view(101), stray(view(101)), routesVia('eth1'))).toEqual(['kernel route: extra fe80::/64 dev eth1 table main proto kernel metric 100 scope global']);
    expect(routeOnlyDrift(view(101), stray(view(101)), routesVia('eth1'), new Set(['eth1']))).toEqual([]);
  });
});

describe('kernel view: interfaces a route entry without an interface touches', () => {
  const none: Scope = { ...only(), routeDestinations: new Set<string>() };
  const twoNics = parseKernelView(
    [],
    [],
    [
      { dst: 'default', gateway: '198.51.100.1', dev: 'eth0' },
      { dst: '203.0.113.0/24', dev: 'eth1', protocol: 'kernel', scope: 'link' },
      { type: 'local', dst: '198.51.100.11', dev: 'lo', table: 'local', protocol: 'kernel', scope: 'host' },
    ],
    [],
  );

  it('given a policy that only removes the default route, should add the interface the default route went through (eth0), and no other', () => {
    const s = withRouteDevices({ ...none, routeDestinations: new Set(['0.0.0.0/0']) }, twoNics);
    expect([...s.interfaces]).toEqual(['eth0']);
    expect([...s.routeInterfaces]).toEqual(['eth0']);
    expect([...s.routeDestinations]).toEqual(['0.0.0.0/0']);
  });

  it('given a wildcard absent route, should add every interface with a route but not those of derived routes; given a scope of named interfaces only, or everything, should leave it as it is', () => {
    expect([...withRouteDevices({ ...none, allRoutes: true }, twoNics).interfaces].sort()).toEqual(['eth0', 'eth1']);
    const named = only('eth2');
    expect(withRouteDevices(named, twoNics)).toBe(named);
    expect(withRouteDevices(fullScope(), twoNics)).toEqual(fullScope());
    expect([...withRouteDevices({ ...none, routeDestinations: new Set(['192.0.2.0/24']) }, twoNics).interfaces]).toEqual([]);
  });
});
