/**
 * Pure logic over nmstate states (no I/O): the parts of a state knmstate compares, the scope of a
 * desired state, the restore state that puts a node back to a snapshot, and the diff summary of a
 * plan.
 *
 * Why knmstate needs its own restore: kernel mode (`nmstatectl -k`) has no checkpoint and does not
 * undo a failed apply (a bridge that failed verification stays behind with its address), and
 * `nmstatectl gr` is no help there (its revert of a port sets `ipv6.address: []`, which removes the
 * link-local address and then fails verification). So the agent snapshots the state before an apply
 * and, to undo it, applies a restore state built here: interfaces the apply created become `absent`,
 * changed interfaces get their snapshot addresses/ports back, routes the apply added are removed and
 * routes it removed are re-added, DNS gets its snapshot config. Only what the desired state can have
 * touched is in scope, so a change made meanwhile by someone else (a CNI creating a pod's veth) is
 * never undone.
 *
 * Runtime-only fields are ignored when comparing: MAC addresses, address protocol and lifetimes,
 * ethtool features, min/max MTU, bridge timers and port STP values, link-local address values (only
 * their presence counts), `forwarding`, `mptcp`, `accept-all-mac-addresses`, the hostname.
 */
import type { NetworkState } from '../nmstate/types.ts';
import type { DiffSummary } from './contract.ts';
import { canonical, isObj } from '../../crd/json.ts';

export type { DiffSummary } from './contract.ts';

type Obj = Record<string, unknown>;
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/** The comparable part of an interface's IPv4 or IPv6 block. */
export interface NormIp {
  enabled: boolean;
  dhcp: boolean;
  /** IPv6 only. */
  autoconf: boolean;
  /** `ip/prefix`, sorted; link-local addresses excluded. */
  addresses: string[];
  /** IPv6 link-local addresses (`fe80::…/64`), kept apart: their values are runtime, their presence is not. */
  linkLocal: string[];
}

/** The comparable part of one interface. */
export interface NormIface {
  name: string;
  type: string;
  state: string;
  controller: string | null;
  mtu: number | undefined;
  ipv4: NormIp;
  ipv6: NormIp;
  /** Port names of a bridge or bond (sorted), `null` for other types. */
  ports: string[] | null;
  /** Bond mode. */
  bondMode: string | undefined;
  /** VLAN base interface and id, `base.id`. */
  vlan: string | undefined;
  /** veth peer, when the peer is in the same namespace. */
  vethPeer: string | undefined;
}

/** One route, by the fields knmstate compares and restores. */
export interface NormRoute {
  destination: string;
  nextHopInterface: string | undefined;
  nextHopAddress: string | undefined;
  metric: number | undefined;
  tableId: number;
}

/** DNS resolver settings. */
export interface NormDns {
  server: string[];
  search: string[];
  options: string[];
}

/** The comparable part of a state. */
export interface NormState {
  interfaces: Map<string, NormIface>;
  /** `routes.config`. */
  routes: NormRoute[];
  /** `routes.running`. */
  running: NormRoute[];
  dns: NormDns;
  /** `route-rules.config`, each as canonical JSON. */
  rules: string[];
}

const isLinkLocal = (ip: string): boolean => /^fe[89ab][0-9a-f]:/i.test(ip);

function normIp(v: unknown, family: 4 | 6): NormIp {
  const o = isObj(v) ? v : {};
  const all = asList(o.address)
    .filter(isObj)
    .map((a) => ({ ip: (str(a.ip) ?? '').toLowerCase(), prefix: num(a['prefix-length']) }))
    .filter((a) => a.ip);
  const fmt = (a: { ip: string; prefix: number | undefined }): string => `${a.ip}/${a.prefix ?? (family === 4 ? 32 : 128)}`;
  return {
    enabled: o.enabled === true,
    dhcp: o.dhcp === true,
    autoconf: family === 6 && o.autoconf === true,
    addresses: all.filter((a) => family === 4 || !isLinkLocal(a.ip)).map(fmt).sort(),
    linkLocal: family === 6 ? all.filter((a) => isLinkLocal(a.ip)).map(fmt).sort() : [],
  };
}

function portNames(iface: Obj): string[] | null {
  const type = str(iface.type);
  if (type === 'linux-bridge' || type === 'ovs-bridge') {
    const b = isObj(iface.bridge) ? iface.bridge : {};
    const ports = b.port ?? b.ports;
    return asList(ports)
      .map((p) => (isObj(p) ? str(p.name) : str(p)))
      .filter((n): n is string => !!n)
      .sort();
  }
  if (type === 'bond') {
    const la = isObj(iface['link-aggregation']) ? iface['link-aggregation'] : {};
    return asList(la.port ?? la.ports)
      .map((p) => str(p))
      .filter((n): n is string => !!n)
      .sort();
  }
  return null;
}

/** The comparable part of one interface entry of a `show` output. */
export function normIface(iface: Obj): NormIface {
  const la = isObj(iface['link-aggregation']) ? iface['link-aggregation'] : undefined;
  const vlan = isObj(iface.vlan) ? iface.vlan : undefined;
  const veth = isObj(iface.veth) ? iface.veth : undefined;
  return {
    name: String(iface.name),
    type: str(iface.type) ?? 'unknown',
    state: str(iface.state) ?? 'up',
    controller: str(iface.controller) || null,
    mtu: num(iface.mtu),
    ipv4: normIp(iface.ipv4, 4),
    ipv6: normIp(iface.ipv6, 6),
    ports: portNames(iface),
    bondMode: la ? str(la.mode) : undefined,
    vlan: vlan ? `${str(vlan['base-iface']) ?? ''}.${num(vlan.id) ?? ''}` : undefined,
    vethPeer: veth ? str(veth.peer) : undefined,
  };
}

function normRoute(r: Obj): NormRoute {
  return {
    destination: str(r.destination) ?? '',
    nextHopInterface: str(r['next-hop-interface']),
    nextHopAddress: str(r['next-hop-address'])?.toLowerCase(),
    metric: num(r.metric),
    tableId: num(r['table-id']) ?? 254,
  };
}

/** A route as one comparable string. */
export function routeKey(r: NormRoute): string {
  return `${r.destination} via ${r.nextHopAddress ?? '-'} dev ${r.nextHopInterface ?? '-'} table ${r.tableId}${r.metric !== undefined ? ` metric ${r.metric}` : ''}`;
}

const strList = (v: unknown): string[] =>
  asList(v)
    .map((x) => String(x))
    .filter(Boolean);

/** The comparable part of a `nmstatectl show` output. */
export function normalizeState(state: NetworkState): NormState {
  const interfaces = new Map<string, NormIface>();
  for (const i of asList(state.interfaces)) {
    if (!isObj(i) || typeof i.name !== 'string') continue;
    const n = normIface(i);
    // OVS may list a bridge and its internal interface under one name; the first wins (kernel mode has no OVS).
    if (!interfaces.has(n.name)) interfaces.set(n.name, n);
  }
  const routes = isObj(state.routes) ? state.routes : {};
  const dnsCfg = isObj(state['dns-resolver']) && isObj(state['dns-resolver'].config) ? state['dns-resolver'].config : {};
  const rules = isObj(state['route-rules']) ? state['route-rules'] : {};
  return {
    interfaces,
    routes: asList(routes.config).filter(isObj).map(normRoute),
    running: asList(routes.running).filter(isObj).map(normRoute),
    dns: { server: strList(dnsCfg.server), search: strList(dnsCfg.search), options: strList(dnsCfg.options) },
    rules: asList(rules.config).map(canonical).sort(),
  };
}

/** What a desired state can touch (see {@link scopeOf}). */
export interface Scope {
  /** Everything (no desired state known). */
  all: boolean;
  interfaces: Set<string>;
  /** Routes via these interfaces are in scope. */
  routeInterfaces: Set<string>;
  /** Routes to these destinations are in scope, whatever their interface. */
  routeDestinations: Set<string>;
  /** A wildcard absent route matched every route. */
  allRoutes: boolean;
  dns: boolean;
  rules: boolean;
}

/** A scope that covers the whole state. */
export function fullScope(): Scope {
  return { all: true, interfaces: new Set(), routeInterfaces: new Set(), routeDestinations: new Set(), allRoutes: true, dns: true, rules: true };
}

/**
 * The part of a node's state that applying `desired` on top of `before` can change: the interfaces
 * it names, their veth peers, bridge/bond ports and (former) controllers, the ports those
 * controllers had before, the routes via any of them or via an interface its routes name, routes to
 * the destinations of its interface-less route entries, DNS if it has `dns-resolver`, route rules if
 * it has `route-rules`.
 */
export function scopeOf(desired: NetworkState, before: NormState): Scope {
  const s: Scope = { all: false, interfaces: new Set(), routeInterfaces: new Set(), routeDestinations: new Set(), allRoutes: false, dns: 'dns-resolver' in desired, rules: 'route-rules' in desired };
  for (const i of asList(desired.interfaces)) {
    if (!isObj(i) || typeof i.name !== 'string') continue;
    s.interfaces.add(i.name);
    const veth = isObj(i.veth) ? i.veth : undefined;
    if (veth && typeof veth.peer === 'string') s.interfaces.add(veth.peer);
    for (const p of portNames(i.type ? i : { ...i, type: before.interfaces.get(i.name)?.type }) ?? []) s.interfaces.add(p);
    if (typeof i.controller === 'string' && i.controller) s.interfaces.add(i.controller);
  }
  // Two rounds: an interface's former controller, and that controller's former ports (and so on once more).
  for (let round = 0; round < 2; round++) {
    for (const name of [...s.interfaces]) {
      const b = before.interfaces.get(name);
      if (!b) continue;
      if (b.controller) s.interfaces.add(b.controller);
      for (const p of b.ports ?? []) s.interfaces.add(p);
    }
  }
  for (const n of s.interfaces) s.routeInterfaces.add(n);
  const routes = isObj(desired.routes) ? desired.routes : {};
  for (const r of asList(routes.config)) {
    if (!isObj(r)) continue;
    const nhi = str(r['next-hop-interface']);
    const dest = str(r.destination);
    if (nhi) s.routeInterfaces.add(nhi);
    else if (dest) s.routeDestinations.add(dest);
    else s.allRoutes = true;
  }
  return s;
}

function routeInScope(r: NormRoute, scope: Scope): boolean {
  return scope.all || scope.allRoutes || (r.nextHopInterface !== undefined && scope.routeInterfaces.has(r.nextHopInterface)) || scope.routeDestinations.has(r.destination);
}

function ifaceNames(a: NormState, b: NormState, scope: Scope): string[] {
  const names = scope.all ? new Set([...a.interfaces.keys(), ...b.interfaces.keys()]) : scope.interfaces;
  return [...names].sort();
}

const same = (x: unknown, y: unknown): boolean => canonical(x) === canonical(y);

/** Differences of two IP blocks, as `field: before → now` texts. */
function ipDiffs(prefix: string, a: NormIp, b: NormIp): string[] {
  const out: string[] = [];
  if (a.enabled !== b.enabled) out.push(`${prefix}.enabled: ${a.enabled} → ${b.enabled}`);
  if (a.dhcp !== b.dhcp) out.push(`${prefix}.dhcp: ${a.dhcp} → ${b.dhcp}`);
  if (a.autoconf !== b.autoconf) out.push(`${prefix}.autoconf: ${a.autoconf} → ${b.autoconf}`);
  if (!same(a.addresses, b.addresses)) out.push(`${prefix}.address: [${a.addresses.join(', ')}] → [${b.addresses.join(', ')}]`);
  if (a.enabled && b.enabled && a.linkLocal.length > 0 !== b.linkLocal.length > 0) {
    out.push(`${prefix}: link-local address ${a.linkLocal.length ? 'missing' : 'added'}`);
  }
  return out;
}

/** Field differences of one interface present in both states. */
export function ifaceDiffs(a: NormIface, b: NormIface): string[] {
  const p = `interfaces.${a.name}`;
  const out: string[] = [];
  if (a.type !== b.type) out.push(`${p}.type: ${a.type} → ${b.type}`);
  if (a.state !== b.state) out.push(`${p}.state: ${a.state} → ${b.state}`);
  if (a.controller !== b.controller) out.push(`${p}.controller: ${a.controller ?? 'none'} → ${b.controller ?? 'none'}`);
  if (a.mtu !== undefined && b.mtu !== undefined && a.mtu !== b.mtu) out.push(`${p}.mtu: ${a.mtu} → ${b.mtu}`);
  out.push(...ipDiffs(`${p}.ipv4`, a.ipv4, b.ipv4), ...ipDiffs(`${p}.ipv6`, a.ipv6, b.ipv6));
  if (!same(a.ports, b.ports)) out.push(`${p}.ports: [${(a.ports ?? []).join(', ')}] → [${(b.ports ?? []).join(', ')}]`);
  if (a.bondMode !== b.bondMode) out.push(`${p}.link-aggregation.mode: ${a.bondMode ?? 'none'} → ${b.bondMode ?? 'none'}`);
  if (a.vlan !== b.vlan) out.push(`${p}.vlan: ${a.vlan ?? 'none'} → ${b.vlan ?? 'none'}`);
  return out;
}

/** Options of {@link compareStates}. */
export interface CompareOptions {
  /**
   * Ignore route metrics: NetworkManager assigns its own when it re-activates a device (e.g. after a
   * checkpoint rollback of a device it did not configure before), and its checkpoint is authoritative.
   */
  ignoreRouteMetric?: boolean;
}

function routeSetDiffs(what: string, a: NormRoute[], b: NormRoute[], scope: Scope, o: CompareOptions): string[] {
  const key = (r: NormRoute): string => routeKey(o.ignoreRouteMetric ? { ...r, metric: undefined } : r);
  const ka = new Set(a.filter((r) => routeInScope(r, scope)).map(key));
  const kb = new Set(b.filter((r) => routeInScope(r, scope)).map(key));
  return [...[...ka].filter((k) => !kb.has(k)).map((k) => `${what}: missing ${k}`), ...[...kb].filter((k) => !ka.has(k)).map((k) => `${what}: extra ${k}`)];
}

/**
 * The differences between `before` and `now` within `scope`, as texts naming the field, the value
 * before and the value now. Empty means equal (ignoring runtime-only fields).
 */
export function compareStates(before: NormState, now: NormState, scope: Scope, opts: CompareOptions = {}): string[] {
  const out: string[] = [];
  for (const name of ifaceNames(before, now, scope)) {
    const a = before.interfaces.get(name);
    const b = now.interfaces.get(name);
    if (a && !b) out.push(`interfaces.${name}: missing (was ${a.type}, ${a.state})`);
    else if (!a && b) out.push(`interfaces.${name}: new ${b.type} (was not there)`);
    else if (a && b) out.push(...ifaceDiffs(a, b));
  }
  out.push(...routeSetDiffs('routes.config', before.routes, now.routes, scope, opts), ...routeSetDiffs('routes.running', before.running, now.running, scope, opts));
  if (scope.all || scope.dns) {
    for (const k of ['server', 'search', 'options'] as const) {
      if (!same(before.dns[k], now.dns[k])) out.push(`dns-resolver.config.${k}: [${before.dns[k].join(', ')}] → [${now.dns[k].join(', ')}]`);
    }
  }
  if ((scope.all || scope.rules) && !same(before.rules, now.rules)) out.push(`route-rules.config: ${before.rules.length} rules → ${now.rules.length}`);
  return out;
}

function ipBlock(ip: NormIp, family: 4 | 6): Obj {
  if (!ip.enabled) return { enabled: false };
  const address = ip.addresses.map((a) => {
    const [addr, plen] = a.split('/');
    return { ip: addr, 'prefix-length': Number(plen) };
  });
  if (ip.dhcp || ip.autoconf) return family === 4 ? { enabled: true, dhcp: ip.dhcp } : { enabled: true, dhcp: ip.dhcp, autoconf: ip.autoconf };
  return family === 4 ? { enabled: true, dhcp: false, address } : { enabled: true, dhcp: false, autoconf: false, address };
}

function portsBlock(i: NormIface): Obj {
  if (i.type === 'bond') return { 'link-aggregation': { ...(i.bondMode ? { mode: i.bondMode } : {}), port: i.ports ?? [] } };
  return { bridge: { port: (i.ports ?? []).map((name) => ({ name })) } };
}

/** A full (minimal) desired entry that recreates interface `i` as it was. */
function recreateIface(i: NormIface): Obj {
  const out: Obj = { name: i.name, type: i.type, state: i.state === 'down' ? 'down' : 'up' };
  if (i.type === 'veth' && i.vethPeer) out.veth = { peer: i.vethPeer };
  if (i.type === 'vlan' && i.vlan) {
    const dot = i.vlan.lastIndexOf('.');
    out.vlan = { 'base-iface': i.vlan.slice(0, dot), id: Number(i.vlan.slice(dot + 1)) };
  }
  if (i.ports) Object.assign(out, portsBlock(i));
  out.ipv4 = ipBlock(i.ipv4, 4);
  out.ipv6 = ipBlock(i.ipv6, 6);
  return out;
}

const ipSame = (a: NormIp, b: NormIp): boolean => a.enabled === b.enabled && a.dhcp === b.dhcp && a.autoconf === b.autoconf && same(a.addresses, b.addresses);

function routeEntry(r: NormRoute, absent: boolean): Obj {
  return {
    destination: r.destination,
    ...(r.nextHopInterface ? { 'next-hop-interface': r.nextHopInterface } : {}),
    ...(r.nextHopAddress ? { 'next-hop-address': r.nextHopAddress } : {}),
    ...(r.metric !== undefined ? { metric: r.metric } : {}),
    'table-id': r.tableId,
    ...(absent ? { state: 'absent' } : {}),
  };
}

/** A restore state and what it does. */
export interface RestorePlan {
  /** The nmstate state to apply; `{}` when nothing differs. */
  state: NetworkState;
  /** One line per action, e.g. `remove interface br1`. */
  actions: string[];
}

/**
 * The nmstate state that takes a node from `now` back to `before`, within `scope`: interfaces that
 * are new become `absent`, missing ones are recreated, changed ones get their addresses, ports and
 * (through their controllers' port lists) their controller back; routes that are new are removed
 * (exact match), missing ones re-added; DNS gets its config back. Apply it without nmstate's own
 * verification (it cannot keep an IPv6 link-local address across an address change in kernel mode);
 * knmstate repairs link-local addresses and compares afterwards.
 */
export function restoreState(before: NormState, now: NormState, scope: Scope): RestorePlan {
  const actions: string[] = [];
  const entries = new Map<string, Obj>();
  const removed = new Set<string>();
  const put = (name: string, e: Obj): void => {
    entries.set(name, { ...entries.get(name), ...e });
  };
  const fixControllerOf = (name: string | null): void => {
    if (!name) return;
    const b = before.interfaces.get(name);
    const n = now.interfaces.get(name);
    if (!b || !n || removed.has(name)) return;
    if (!same(b.ports, n.ports)) {
      put(name, { name, type: b.type, state: b.state === 'down' ? 'down' : 'up', ...portsBlock(b) });
      actions.push(`restore ports of ${name}: [${(b.ports ?? []).join(', ')}]`);
    }
  };
  const names = ifaceNames(before, now, scope);
  for (const name of names) {
    const b = before.interfaces.get(name);
    const n = now.interfaces.get(name);
    if (!b && n) {
      // A veth pair goes with either end; naming both is harmless (absent of a gone interface is a no-op).
      put(name, { name, type: n.type, state: 'absent' });
      removed.add(name);
      actions.push(`remove interface ${name} (${n.type})`);
    }
  }
  for (const name of names) {
    const b = before.interfaces.get(name);
    const n = now.interfaces.get(name);
    if (b && !n) {
      put(name, recreateIface(b));
      actions.push(`recreate interface ${name} (${b.type})`);
      continue;
    }
    if (!b || !n || b.state === 'ignore') continue;
    const e: Obj = {};
    if (!ipSame(b.ipv4, n.ipv4)) e.ipv4 = ipBlock(b.ipv4, 4);
    if (!ipSame(b.ipv6, n.ipv6)) e.ipv6 = ipBlock(b.ipv6, 6);
    if (b.mtu !== undefined && b.mtu !== n.mtu) e.mtu = b.mtu;
    if (b.ports && !same(b.ports, n.ports)) Object.assign(e, portsBlock(b));
    if (b.state !== n.state && (b.state === 'up' || b.state === 'down')) e.state = b.state;
    if (Object.keys(e).length) {
      put(name, { name, type: b.type, state: b.state === 'down' ? 'down' : 'up', ...e });
      actions.push(`restore interface ${name}: ${Object.keys(e).join(', ')}`);
    }
    if (b.controller !== n.controller) {
      fixControllerOf(b.controller);
      fixControllerOf(n.controller);
      if (!b.controller && n.controller && removed.has(n.controller)) actions.push(`release ${name} from ${n.controller}`);
    }
  }
  const state: NetworkState = {};
  if (entries.size) state.interfaces = [...entries.values()];

  const routeCfg: Obj[] = [];
  const nowKeys = new Set(now.routes.map(routeKey));
  const beforeKeys = new Set(before.routes.map(routeKey));
  for (const r of now.routes) {
    if (!routeInScope(r, scope) || beforeKeys.has(routeKey(r))) continue;
    // Routes via an interface that is being removed go with it.
    if (r.nextHopInterface && removed.has(r.nextHopInterface)) continue;
    routeCfg.push(routeEntry(r, true));
    actions.push(`remove route ${routeKey(r)}`);
  }
  for (const r of before.routes) {
    if (!routeInScope(r, scope) || nowKeys.has(routeKey(r))) continue;
    routeCfg.push(routeEntry(r, false));
    actions.push(`add route ${routeKey(r)}`);
  }
  if (routeCfg.length) state.routes = { config: routeCfg };

  if (scope.all || scope.dns) {
    const d = before.dns;
    if (!same(d, now.dns)) {
      state['dns-resolver'] = { config: d.server.length || d.search.length || d.options.length ? { server: d.server, search: d.search, ...(d.options.length ? { options: d.options } : {}) } : {} };
      actions.push('restore dns-resolver config');
    }
  }
  if ((scope.all || scope.rules) && !same(before.rules, now.rules)) {
    const b = new Set(before.rules);
    const n = new Set(now.rules);
    const cfg = [
      ...now.rules.filter((r) => !b.has(r)).map((r) => ({ ...(JSON.parse(r) as Obj), state: 'absent' })),
      ...before.rules.filter((r) => !n.has(r)).map((r) => JSON.parse(r) as Obj),
    ];
    state['route-rules'] = { config: cfg };
    actions.push('restore route-rules');
  }
  return { state, actions };
}

/** IPv6 link-local addresses an interface had before and has lost (kernel-mode apply of an IPv6 address list removes them). */
export function lostLinkLocal(before: NormState, now: NormState, scope: Scope): { iface: string; address: string }[] {
  const out: { iface: string; address: string }[] = [];
  for (const name of ifaceNames(before, now, scope)) {
    const b = before.interfaces.get(name);
    const n = now.interfaces.get(name);
    if (!b || !n || !b.ipv6.enabled || b.ipv6.linkLocal.length === 0 || n.ipv6.linkLocal.length > 0) continue;
    // A recreated interface gets a new MAC and its own link-local; only repair interfaces that kept theirs.
    for (const address of b.ipv6.linkLocal) out.push({ iface: name, address });
  }
  return out;
}


function routeMatches(entry: Obj, r: NormRoute): boolean {
  const d = str(entry.destination);
  const nhi = str(entry['next-hop-interface']);
  const nha = str(entry['next-hop-address'])?.toLowerCase();
  const metric = num(entry.metric);
  const table = num(entry['table-id']);
  return (!d || d === r.destination) && (!nhi || nhi === r.nextHopInterface) && (!nha || nha === r.nextHopAddress) && (metric === undefined || metric === r.metric) && (table === undefined || table === r.tableId);
}

/** Whether desired interface entry `d` asks for something `cur` does not have (only keys present in `d` count). */
function ifaceChanges(d: Obj, cur: NormIface): boolean {
  const n = normIface({ ...d, type: d.type ?? cur.type });
  if (d.state !== undefined && d.state !== cur.state) return true;
  if (d.controller !== undefined && (str(d.controller) || null) !== cur.controller) return true;
  if (d.mtu !== undefined && n.mtu !== cur.mtu) return true;
  for (const fam of ['ipv4', 'ipv6'] as const) {
    const ip = d[fam];
    if (!isObj(ip)) continue;
    if (ip.enabled !== undefined && n[fam].enabled !== cur[fam].enabled) return true;
    if (ip.dhcp !== undefined && n[fam].dhcp !== cur[fam].dhcp) return true;
    if (ip.address !== undefined && !same(n[fam].addresses, cur[fam].addresses)) return true;
  }
  const ports = portNames({ ...d, type: d.type ?? cur.type });
  const hasPortKey = (isObj(d.bridge) && ('port' in d.bridge || 'ports' in d.bridge)) || (isObj(d['link-aggregation']) && ('port' in d['link-aggregation'] || 'ports' in d['link-aggregation']));
  if (hasPortKey && !same(ports, cur.ports)) return true;
  if (isObj(d['link-aggregation']) && d['link-aggregation'].mode !== undefined && n.bondMode !== cur.bondMode) return true;
  if (isObj(d.vlan) && n.vlan !== cur.vlan) return true;
  return false;
}

/** What applying `desired` on a node whose state is `current` would change. */
export function diffSummary(current: NetworkState, desired: NetworkState): DiffSummary {
  const cur = normalizeState(current);
  const out: DiffSummary = { interfaces: { create: [], modify: [], remove: [], unchanged: [] }, routes: { add: [], remove: [] }, dns: false, routeRules: false, changes: 0 };
  for (const d of asList(desired.interfaces)) {
    if (!isObj(d) || typeof d.name !== 'string') continue;
    const c = cur.interfaces.get(d.name);
    if (d.state === 'absent') (c ? out.interfaces.remove : out.interfaces.unchanged).push(d.name);
    else if (!c) out.interfaces.create.push(d.name);
    else (ifaceChanges(d, c) ? out.interfaces.modify : out.interfaces.unchanged).push(d.name);
  }
  const routes = isObj(desired.routes) ? desired.routes : {};
  const curKeys = new Set(cur.routes.map(routeKey));
  for (const e of asList(routes.config)) {
    if (!isObj(e)) continue;
    if (e.state === 'absent') {
      for (const r of cur.routes) if (routeMatches(e, r)) out.routes.remove.push(routeKey(r));
    } else {
      const r = normRoute(e);
      const exists = cur.routes.some((c) => routeMatches(e, c));
      if (!exists && !curKeys.has(routeKey(r))) out.routes.add.push(routeKey(r));
    }
  }
  const dns = isObj(desired['dns-resolver']) ? desired['dns-resolver'] : undefined;
  if (dns && isObj(dns.config)) {
    const c = dns.config;
    const want: NormDns = { server: strList(c.server), search: strList(c.search), options: strList(c.options) };
    out.dns = Object.keys(c).length === 0 ? cur.dns.server.length + cur.dns.search.length + cur.dns.options.length > 0 : (['server', 'search', 'options'] as const).some((k) => k in c && !same(want[k], cur.dns[k]));
  }
  out.routeRules = isObj(desired['route-rules']) && asList(desired['route-rules'].config).length > 0;
  out.changes = out.interfaces.create.length + out.interfaces.modify.length + out.interfaces.remove.length + out.routes.add.length + out.routes.remove.length + (out.dns ? 1 : 0) + (out.routeRules ? 1 : 0);
  return out;
}

/** Whether a rendered desired state asks for nothing (upstream: `Ignoring empty desired state`). */
export function isEmptyState(state: NetworkState): boolean {
  // `routes: {config: []}` asks for nothing; `dns-resolver: {config: {}}` purges DNS, so an empty object below the top level counts.
  const blank = (v: unknown): boolean => v === undefined || v === null || (Array.isArray(v) && v.length === 0);
  return Object.values(state).every((v) => blank(v) || (isObj(v) && Object.values(v).every(blank)));
}

/**
 * Upstream's default VLAN filtering (§3.2 step 6): every port of an `up` linux bridge that has no
 * `vlan` key gets `vlan: {mode: trunk, trunk-tags: [{id-range: {min: 2, max: 4094}}]}`; a port with
 * `vlan: {}` is left alone. Returns a new state. (Kernel mode cannot apply per-port VLAN settings,
 * so the agent only does this in NetworkManager mode.)
 */
export function withDefaultBridgeVlan(state: NetworkState): NetworkState {
  if (!Array.isArray(state.interfaces)) return state;
  const interfaces = (state.interfaces as unknown[]).map((i) => {
    if (!isObj(i) || i.type !== 'linux-bridge' || (i.state !== undefined && i.state !== 'up') || !isObj(i.bridge)) return i;
    const key = 'port' in i.bridge ? 'port' : 'ports' in i.bridge ? 'ports' : undefined;
    if (!key || !Array.isArray(i.bridge[key])) return i;
    const ports = (i.bridge[key] as unknown[]).map((p) => (isObj(p) && !('vlan' in p) ? { ...p, vlan: { mode: 'trunk', 'trunk-tags': [{ 'id-range': { min: 2, max: 4094 } }] } } : p));
    return { ...i, bridge: { ...i.bridge, [key]: ports } };
  });
  return { ...state, interfaces };
}
