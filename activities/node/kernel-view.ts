/**
 * The kernel's view of a node's network, as iproute2 reports it (`ip -d -j link`, `ip -j addr`,
 * `ip -j route show table all`), and the pure logic that compares two such views and computes the
 * `ip -batch` lines that take a node from one back to the other. No I/O here (./kernel-capture.ts
 * runs the commands).
 *
 * Why knmstate needs it on top of nmstate's state: nmstate's `show` leaves out what an operator sees
 * with `ip` and what a restore through nmstate changes — a route's protocol (`boot` for `ip route
 * add`, `static` for nmstate's, `kernel` for a prefix route), the metric of routes and prefix routes,
 * the value of the IPv6 link-local address, an interface's addr-gen-mode, an IPv4 address's broadcast
 * and `noprefixroute` flag (docs/restore.md). The agent records this view before it changes a node and
 * puts back exactly this view after a failed apply or a revert.
 *
 * What is compared: per interface kind, admin state, MTU, controller, addr-gen-mode; every address
 * with its scope, broadcast and lasting flags (`noprefixroute`, `nodad`, …; not the transient
 * `tentative`); every route of every table but the ones the kernel derives from addresses and links
 * (table `local`, types local/broadcast/multicast/anycast), with protocol, metric, scope, type and
 * source. Not compared: MAC addresses, counters, address lifetimes, route expiry and preference.
 */
import type { Scope } from './state.ts';

/** One link. */
export interface KLink {
  name: string;
  kind: string;
  up: boolean;
  mtu: number;
  master: string | null;
  /** `eui64`, `none`, `stable_secret`, `random`; undefined without IPv6. */
  addrGenMode: string | undefined;
  /** IPv6 on (`net.ipv6.conf.<link>.disable_ipv6` = 0); undefined when not read. */
  ipv6: boolean | undefined;
}

/** One address. */
export interface KAddr {
  dev: string;
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  scope: string;
  /** IPv4 broadcast, when set. */
  broadcast: string | undefined;
  /** Lasting flags, sorted. */
  flags: string[];
  /** Prefix route metric set with the address (`ip addr add … metric N`). */
  metric: number | undefined;
}

/** One route. */
export interface KRoute {
  family: 4 | 6;
  table: string;
  type: string;
  /** `0.0.0.0/0` / `::/0` for the default route. */
  dst: string;
  gateway: string | undefined;
  dev: string | undefined;
  protocol: string;
  metric: number;
  scope: string;
  prefsrc: string | undefined;
}

/** What {@link parseKernelView} returns. */
export interface KernelView {
  links: KLink[];
  addresses: KAddr[];
  routes: KRoute[];
}

type J = Record<string, unknown>;
const txt = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
const list = (v: unknown): J[] => (Array.isArray(v) ? (v as J[]).filter((x) => typeof x === 'object' && x !== null) : []);

/** Address flags that last (the ones a restore must give back); transient DAD states are not among them. */
export const LASTING_ADDRESS_FLAGS = ['noprefixroute', 'nodad', 'home', 'mngtmpaddr', 'autojoin', 'secondary', 'dynamic', 'temporary', 'stable-privacy'] as const;
/** Route types the kernel derives from addresses and links. */
const DERIVED_ROUTE_TYPES = new Set(['local', 'broadcast', 'multicast', 'anycast']);

function defaultDst(dst: string | undefined, family: 4 | 6): string {
  if (!dst || dst === 'default') return family === 4 ? '0.0.0.0/0' : '::/0';
  return dst.includes('/') ? dst : `${dst}/${family === 4 ? 32 : 128}`;
}

/**
 * Parses iproute2's JSON (`ip -d -j link`, `ip -j addr`, `ip -j -4 route show table all`,
 * `ip -j -6 route …`) and, per link, `disable_ipv6` (link name → the sysctl's value).
 */
export function parseKernelView(links: unknown, addrs: unknown, routes4: unknown, routes6: unknown, disableIpv6: ReadonlyMap<string, boolean> = new Map()): KernelView {
  const view: KernelView = { links: [], addresses: [], routes: [] };
  for (const l of list(links)) {
    const info = (l.linkinfo ?? {}) as J;
    view.links.push({
      name: String(l.ifname),
      kind: txt(info.info_kind) ?? 'device',
      up: Array.isArray(l.flags) && (l.flags as string[]).includes('UP'),
      mtu: Number(l.mtu),
      master: txt(l.master) ?? null,
      addrGenMode: txt(l.inet6_addr_gen_mode),
      ipv6: disableIpv6.has(String(l.ifname)) ? !disableIpv6.get(String(l.ifname)) : undefined,
    });
  }
  for (const a of list(addrs)) {
    for (const i of list(a.addr_info)) {
      const family = i.family === 'inet6' ? 'inet6' : 'inet';
      view.addresses.push({
        dev: String(a.ifname),
        family,
        local: String(i.local).toLowerCase(),
        prefixlen: Number(i.prefixlen),
        scope: txt(i.scope) ?? 'global',
        broadcast: txt(i.broadcast),
        flags: LASTING_ADDRESS_FLAGS.filter((f) => i[f] === true).sort(),
        metric: typeof i.metric === 'number' ? i.metric : undefined,
      });
    }
  }
  for (const [family, rs] of [[4, routes4], [6, routes6]] as const) {
    for (const r of list(rs)) {
      view.routes.push({
        family,
        table: txt(r.table) ?? 'main',
        type: txt(r.type) ?? 'unicast',
        dst: defaultDst(txt(r.dst), family),
        gateway: txt(r.gateway)?.toLowerCase(),
        dev: txt(r.dev),
        protocol: txt(r.protocol) ?? 'boot',
        metric: typeof r.metric === 'number' ? r.metric : 0,
        scope: txt(r.scope) ?? 'global',
        prefsrc: txt(r.prefsrc)?.toLowerCase(),
      });
    }
  }
  return view;
}

/** A link as one comparable line. */
export const linkKey = (l: KLink): string => `${l.name} ${l.kind} ${l.up ? 'up' : 'down'} mtu ${l.mtu} master ${l.master ?? '-'} addrgenmode ${l.addrGenMode ?? '-'}${l.ipv6 === undefined ? '' : ` ipv6 ${l.ipv6 ? 'on' : 'off'}`}`;
/** An address's identity (device and address/prefix). */
const addrId = (a: KAddr): string => `${a.dev} ${a.local}/${a.prefixlen}`;
/** An address as one comparable line. */
export const addrKey = (a: KAddr): string => `${addrId(a)} scope ${a.scope}${a.broadcast ? ` brd ${a.broadcast}` : ''}${a.metric !== undefined ? ` metric ${a.metric}` : ''}${a.flags.length ? ` ${a.flags.join(' ')}` : ''}`;
/** A route as one comparable line (also a valid tail of `ip route add`). */
export const routeLine = (r: KRoute): string =>
  `${r.type === 'unicast' ? '' : `${r.type} `}${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''} table ${r.table} proto ${r.protocol} metric ${r.metric} scope ${r.scope}${r.prefsrc ? ` src ${r.prefsrc}` : ''}`;

/** Whether the route is one the kernel derives from an address or a link (never restored by itself). */
export const isDerivedRoute = (r: KRoute): boolean => r.table === 'local' || DERIVED_ROUTE_TYPES.has(r.type);

/** Interfaces whose links and addresses are in scope (`undefined` = all). */
function ifaceScope(scope: Scope): Set<string> | undefined {
  return scope.all ? undefined : scope.interfaces;
}

function routeInScope(r: KRoute, scope: Scope): boolean {
  if (scope.all || scope.allRoutes) return true;
  if (r.dev !== undefined && (scope.routeInterfaces.has(r.dev) || scope.interfaces.has(r.dev))) return true;
  return scope.routeDestinations.has(r.dst) || (r.dst === '0.0.0.0/0' && scope.routeDestinations.has('0.0.0.0/0')) || (r.dst === '::/0' && scope.routeDestinations.has('::/0'));
}

/** Restricts a view to what `scope` covers, optionally to some interfaces only. */
export function scopedView(v: KernelView, scope: Scope, only?: ReadonlySet<string>): KernelView {
  const ifs = ifaceScope(scope);
  const keep = (dev: string | undefined): boolean => (!ifs || (dev !== undefined && ifs.has(dev))) && (!only || (dev !== undefined && only.has(dev)));
  return {
    links: v.links.filter((l) => keep(l.name)),
    addresses: v.addresses.filter((a) => keep(a.dev)),
    routes: v.routes.filter((r) => !isDerivedRoute(r) && routeInScope(r, scope) && (!only || (r.dev !== undefined && only.has(r.dev)))),
  };
}

/**
 * A view without the IPv6 link-local prefix routes (`fe80::/64`) of `nmDevices`. On a device it has a
 * profile active on, NetworkManager adds a second `fe80::/64` route at the device's own metric when it
 * re-applies the profile (the kernel's, or its own at 1024, stays), and keeps it through a revert and a
 * fresh activation: its runtime, not configuration, and not something `ip` may take from it
 * (docs/restore.md, known differences).
 */
export function withoutNmLinkLocalRoutes(v: KernelView, nmDevices: ReadonlySet<string>): KernelView {
  if (!nmDevices.size) return v;
  return { ...v, routes: v.routes.filter((r) => !(r.dst === 'fe80::/64' && r.dev !== undefined && nmDevices.has(r.dev))) };
}

function setDiff(what: string, a: string[], b: string[]): string[] {
  const sa = new Set(a);
  const sb = new Set(b);
  return [...[...sa].filter((k) => !sb.has(k)).map((k) => `${what}: missing ${k}`), ...[...sb].filter((k) => !sa.has(k)).map((k) => `${what}: extra ${k}`)];
}

/**
 * The differences between `before` and `now` within `scope` (optionally only on interfaces `only`),
 * as texts `kernel <what>: missing|extra <line>`. Links are compared only when present in both (a
 * link that is missing or new is nmstate's business, and compared there).
 */
export function kernelDiffs(before: KernelView, now: KernelView, scope: Scope, only?: ReadonlySet<string>, nmDevices: ReadonlySet<string> = new Set()): string[] {
  const b = withoutNmLinkLocalRoutes(scopedView(before, scope, only), nmDevices);
  const n = withoutNmLinkLocalRoutes(scopedView(now, scope, only), nmDevices);
  const nowLinks = new Map(n.links.map((l) => [l.name, l]));
  const beforeNames = new Set(b.links.map((l) => l.name));
  const links = setDiff('kernel link', b.links.filter((l) => nowLinks.has(l.name)).map(linkKey), n.links.filter((l) => beforeNames.has(l.name)).map(linkKey));
  // Addresses and routes of links that exist on both sides (a route via an interface outside the scope's own interfaces counts too).
  const allBefore = new Set(before.links.map((l) => l.name));
  const allNow = new Set(now.links.map((l) => l.name));
  const present = (dev: string | undefined): boolean => dev !== undefined && allBefore.has(dev) && allNow.has(dev);
  return [
    ...links,
    ...setDiff('kernel address', b.addresses.filter((a) => present(a.dev)).map(addrKey), n.addresses.filter((a) => present(a.dev)).map(addrKey)),
    ...setDiff('kernel route', b.routes.filter((r) => r.dev === undefined || present(r.dev)).map(routeLine), n.routes.filter((r) => r.dev === undefined || present(r.dev)).map(routeLine)),
  ];
}

const settable = (a: KAddr): string[] => a.flags.filter((f) => f !== 'secondary' && f !== 'dynamic' && f !== 'temporary' && f !== 'stable-privacy');

/**
 * The lines that put address `a` back. An IPv6 address is added with `nodad` and then changed to its
 * own flags: it was on this node a moment ago, and duplicate address detection would keep it
 * `tentative` (and without its local route) for one to two seconds; the change clears `nodad` without
 * starting detection.
 */
function addrAdd(a: KAddr): string[] {
  const tail = `${a.metric !== undefined ? ` metric ${a.metric}` : ''}${settable(a).map((f) => ` ${f}`).join('')}`;
  const add = `address add ${a.local}/${a.prefixlen} dev ${a.dev} scope ${a.scope}${a.broadcast ? ` broadcast ${a.broadcast}` : ''}${tail}`;
  if (a.family !== 'inet6' || a.flags.includes('nodad')) return [add];
  return [`${add} nodad`, `address change ${a.local}/${a.prefixlen} dev ${a.dev} scope ${a.scope}${tail}`];
}

/**
 * Step 0 of a kernel restore: links (present in both views, within scope, optionally only `only`)
 * whose IPv6 must be switched back on or off (`net.ipv6.conf.<link>.disable_ipv6`) before their
 * addresses can be put back.
 */
export function ipv6Repair(before: KernelView, now: KernelView, scope: Scope, only?: ReadonlySet<string>): { link: string; disable: boolean }[] {
  const b = scopedView(before, scope, only);
  const nowLinks = new Map(scopedView(now, scope, only).links.map((l) => [l.name, l]));
  return b.links.filter((l) => l.ipv6 !== undefined && nowLinks.get(l.name)?.ipv6 !== undefined && nowLinks.get(l.name)?.ipv6 !== l.ipv6).map((l) => ({ link: l.name, disable: !l.ipv6 }));
}

/**
 * Step 1 of a kernel restore: `ip -batch` lines that give the links and addresses of interfaces
 * present in both views (within scope, optionally only `only`) their state of `before`: MTU,
 * addr-gen-mode, admin state; addresses that are new are deleted, missing ones added, changed ones
 * (flags, broadcast, scope) deleted and added again (the kernel cannot change those in place). Routes
 * come after (see {@link routeRepair}): adding and deleting addresses adds and deletes routes.
 */
export function linkAndAddressRepair(before: KernelView, now: KernelView, scope: Scope, only?: ReadonlySet<string>): string[] {
  const b = scopedView(before, scope, only);
  const n = scopedView(now, scope, only);
  const nowLinks = new Map(n.links.map((l) => [l.name, l]));
  const both = new Set(b.links.filter((l) => nowLinks.has(l.name)).map((l) => l.name));
  const lines: string[] = [];
  for (const l of b.links) {
    const c = nowLinks.get(l.name);
    if (!c) continue;
    if (l.mtu !== c.mtu) lines.push(`link set dev ${l.name} mtu ${l.mtu}`);
    if (l.addrGenMode && l.addrGenMode !== c.addrGenMode) lines.push(`link set dev ${l.name} addrgenmode ${l.addrGenMode}`);
    if (l.up !== c.up) lines.push(`link set dev ${l.name} ${l.up ? 'up' : 'down'}`);
  }
  const beforeAddrs = new Map(b.addresses.filter((a) => both.has(a.dev)).map((a) => [addrId(a), a]));
  const nowAddrs = new Map(n.addresses.filter((a) => both.has(a.dev)).map((a) => [addrId(a), a]));
  for (const [id, a] of nowAddrs) {
    const want = beforeAddrs.get(id);
    if (!want || addrKey(want) !== addrKey(a)) lines.push(`address del ${a.local}/${a.prefixlen} dev ${a.dev}`);
  }
  for (const [id, a] of beforeAddrs) {
    const have = nowAddrs.get(id);
    if (!have || addrKey(have) !== addrKey(a)) lines.push(...addrAdd(a));
  }
  return lines;
}

/**
 * Step 2 of a kernel restore, on a view taken after step 1: `ip -batch` lines that put back the
 * routes of `before` that are missing (`route replace`, with their protocol, metric, scope and
 * source) and then delete the ones that are extra. Run them with `-force`: a delete of a route that
 * a replace already took over fails harmlessly.
 */
export function routeRepair(before: KernelView, now: KernelView, scope: Scope, only?: ReadonlySet<string>): string[] {
  const b = scopedView(before, scope, only);
  const n = scopedView(now, scope, only);
  const links = new Set(now.links.map((l) => l.name));
  const usable = (r: KRoute): boolean => r.dev === undefined || links.has(r.dev);
  const bk = new Set(b.routes.map(routeLine));
  const nk = new Set(n.routes.map(routeLine));
  const add = b.routes.filter((r) => usable(r) && !nk.has(routeLine(r))).map((r) => `route replace ${routeLine(r)}`);
  const del = n.routes.filter((r) => !bk.has(routeLine(r))).map((r) => `route del ${routeLine(r)}`);
  return [...add, ...del];
}

/**
 * Links among `candidates` whose link and addresses are as before and only routes via them differ
 * within scope. For a device NetworkManager has a profile active on, that is NetworkManager's doing
 * on a re-activation (nmstate re-applies a profile when a revert removes a route through it): it picks
 * a device's route metric anew, and higher, while the old reservation is held (eth1's prefix route 101
 * → 103);
 * gives the routes of a fresh activation back.
 */
export function routeOnlyDrift(before: KernelView, now: KernelView, scope: Scope, candidates: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const dev of candidates) {
    // The device's own link and addresses, whatever the scope; its routes within the scope.
    const bl = before.links.filter((l) => l.name === dev);
    const nl = now.links.filter((l) => l.name === dev);
    if (!bl.length || !nl.length) continue;
    const sameLinks = bl.map(linkKey).join() === nl.map(linkKey).join();
    const addrs = (v: KernelView): string => v.addresses.filter((a) => a.dev === dev).map(addrKey).sort().join();
    const sameAddrs = addrs(before) === addrs(now);
    const one = new Set([dev]);
    const bk = withoutNmLinkLocalRoutes(scopedView(before, scope, one), one).routes.map(routeLine).sort();
    const nk = withoutNmLinkLocalRoutes(scopedView(now, scope, one), one).routes.map(routeLine).sort();
    if (sameLinks && sameAddrs && bk.join() !== nk.join()) out.push(dev);
  }
  return out.sort();
}

/**
 * `scope` widened to the devices that routes it covers by destination or by a wildcard (an entry
 * without `next-hop-interface`, e.g. `{ destination: 0.0.0.0/0, state: absent }`) went through in
 * `before`: nmstate removes such a route by changing the profile of its interface, so in
 * NetworkManager mode the interface is taken over as much as one the desired state names (an external
 * eth0 comes back from a checkpoint rollback as NetworkManager's own). Each such device joins the
 * scope's interfaces and route interfaces; a scope that covers everything is returned as it is.
 */
export function withRouteDevices(scope: Scope, before: KernelView): Scope {
  if (scope.all || (!scope.allRoutes && !scope.routeDestinations.size)) return scope;
  const byDestination: Scope = { ...scope, interfaces: new Set(), routeInterfaces: new Set() };
  const devs = new Set(before.routes.filter((r) => !isDerivedRoute(r) && r.dev !== undefined && routeInScope(r, byDestination)).map((r) => r.dev!));
  const extra = [...devs].filter((d) => !scope.interfaces.has(d) || !scope.routeInterfaces.has(d));
  if (!extra.length) return scope;
  return { ...scope, interfaces: new Set([...scope.interfaces, ...devs]), routeInterfaces: new Set([...scope.routeInterfaces, ...devs]) };
}
