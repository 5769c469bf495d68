/**
 * Structural checks of an NNCP's `spec.desiredState` (nmstate YAML). The API keeps desiredState
 * free-form (`x-kubernetes-preserve-unknown-fields`, like upstream); the rollout engine, the node agent
 * and the dry-run plan call {@link validateDesiredState} before any node is touched, so a malformed
 * state fails fast with field paths instead of failing on every node inside nmstatectl.
 *
 * It checks what nmstate would reject anyway, never more: unknown top-level keys, interfaces without a
 * name, unknown interface types and states, names the kernel refuses, IP/prefix formats, route and
 * route-rule fields, DNS servers and search domains, and the type-specific blocks of bridges, bonds and
 * VLANs. Scalars are read as nmstate reads them: a boolean may be written `"true"`, `"yes"`, `on`, `1`
 * (see {@link parseNmstateBool}), an integer as a decimal or `0x` string (see {@link parseNmstateInt}).
 *
 * What depends on the node's current state is NOT decided here: `type` may be left out for an interface
 * that exists (`{name: eth1, state: down}`), a bond's `mode` when it already exists, a VLAN's
 * `base-iface`/`id` likewise. nmstate decides those against the node when the state is applied, and the
 * node agent reports a failure per node (`InvalidDesiredState`). Values that are nmpolicy templates
 * (`{{ capture.… }}`) are resolved per node later and are not checked here. Pure: no I/O, safe in
 * workflow code.
 */
import { interfaceNameProblem, ipFamily, isDnsName, isMacAddress, parseCidr } from './net.ts';
import { isObj } from './json.ts';

/** One problem found in a desired state. */
export interface DesiredStateError {
  /** Where, e.g. `interfaces[0].ipv4.address[1].prefix-length`; `''` for the root. */
  path: string;
  /** Which rule failed (stable identifier, see {@link DesiredStateRule}). */
  rule: DesiredStateRule;
  /** Human text naming the field and the rule, e.g. `interfaces[0].name: is required`. */
  message: string;
}

/** Identifiers of the checks {@link validateDesiredState} makes. */
export type DesiredStateRule =
  | 'type'
  | 'required'
  | 'unknown-field'
  | 'interface-type'
  | 'interface-state'
  | 'interface-name'
  | 'duplicate-interface'
  | 'ip-address'
  | 'prefix-length'
  | 'cidr'
  | 'ip-family'
  | 'range'
  | 'enum'
  | 'mac-address'
  | 'dns-server'
  | 'dns-search';

/** The interface types nmstate 2.2 knows (`InterfaceType` in nmstate's `iface.rs`). */
export const INTERFACE_TYPES = [
  'ethernet',
  'ip-tunnel',
  'veth',
  'linux-bridge',
  'bond',
  'vlan',
  'vxlan',
  'vrf',
  'dummy',
  'loopback',
  'mac-vlan',
  'mac-vtap',
  'ipvlan',
  'macsec',
  'hsr',
  'infiniband',
  'ovs-bridge',
  'ovs-interface',
  'ipsec',
  'xfrm',
  'tun',
  'unknown',
] as const;
/** An nmstate interface type. */
export type InterfaceType = (typeof INTERFACE_TYPES)[number];

/** Interface states nmstate accepts (`unknown` in a desired state means "leave the state as it is"). */
export const INTERFACE_STATES = ['up', 'down', 'absent', 'ignore', 'unknown'] as const;

/** Bond modes nmstate accepts (names, the alias `lacp` and the numeric aliases). */
export const BOND_MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'lacp', 'balance-tlb', 'balance-alb', '0', '1', '2', '3', '4', '5', '6'] as const;

/** The top-level keys of an nmstate state (`NetworkState` in nmstate's `net_state.rs`). */
export const TOP_LEVEL_KEYS = ['description', 'hostname', 'dns-resolver', 'route-rules', 'routes', 'interfaces', 'ovs-db', 'ovn'];
const TEMPLATE = /\{\{.*\}\}/s;
const BOOL_WORDS: Record<string, boolean> = { '1': true, true: true, yes: true, on: true, y: true, '0': false, false: false, no: false, off: false, n: false };
const BOOL_RULE = 'true or false (nmstate also reads 1|0|yes|no|on|off|y|n, in any case)';
const U32_MAX = 4_294_967_295;

type Obj = Record<string, unknown>;

/**
 * A boolean as nmstate reads it (`option_bool_or_string` in nmstate's `deserializer.rs`): `true`/`false`,
 * the integers 1 and 0, or a string among 1|0|true|false|yes|no|on|off|y|n in any case. `undefined`
 * when it is none of those.
 */
export function parseNmstateBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  if (typeof v === 'string') return BOOL_WORDS[v.toLowerCase()];
  return undefined;
}

/**
 * An integer as nmstate reads it (`option_u64_or_string` / `option_i64_or_string`): a JSON integer, or a
 * string holding a decimal number (an optional `+`, or `-` where `signed`), or for unsigned fields a
 * `0x` hexadecimal one. `undefined` when it is none of those (a float, `" 24"`, `"24.0"`, `"abc"`).
 */
export function parseNmstateInt(v: unknown, signed = false): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && (signed || v >= 0) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  if (!signed && /^0x[0-9A-Fa-f]+$/.test(v)) return Number.parseInt(v.slice(2), 16);
  if ((signed ? /^[+-]?[0-9]+$/ : /^\+?[0-9]+$/).test(v)) return Number(v);
  return undefined;
}

/** An nmpolicy template stands for any value (list, object, string); it is rendered per node. */
const isTemplate = (v: unknown): boolean => typeof v === 'string' && TEMPLATE.test(v);
const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`);

const key = (path: string, k: string): string => (path ? `${path}.${k}` : k);
const idx = (path: string, i: number): string => `${path}[${i}]`;

class Collector {
  readonly errors: DesiredStateError[] = [];
  add(path: string, rule: DesiredStateRule, text: string): void {
    this.errors.push({ path, rule, message: `${path || 'desiredState'}: ${text}` });
  }

  /** Returns the object at `v`, or reports a type error (templates pass as "unknown"). */
  obj(v: unknown, path: string): Obj | undefined {
    if (isTemplate(v)) return undefined;
    if (!isObj(v)) {
      this.add(path, 'type', `must be an object, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  list(v: unknown, path: string): unknown[] | undefined {
    if (isTemplate(v)) return undefined;
    if (!Array.isArray(v)) {
      this.add(path, 'type', `must be a list, got ${describe(v)}`);
      return undefined;
    }
    return v as unknown[];
  }

  /** Checks an optional scalar; returns it when it is a usable (non-template) string. */
  str(o: Obj, k: string, path: string, required = false): string | undefined {
    const v = o[k];
    const p = key(path, k);
    if (v === undefined || v === null) {
      if (required) this.add(p, 'required', 'is required');
      return undefined;
    }
    if (isTemplate(v)) return undefined;
    if (typeof v !== 'string') {
      this.add(p, 'type', `must be a string, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  bool(o: Obj, k: string, path: string): void {
    const v = o[k];
    if (v === undefined || v === null || isTemplate(v)) return;
    if (parseNmstateBool(v) === undefined) this.add(key(path, k), 'type', `must be ${BOOL_RULE}, got ${describe(v)}`);
  }

  /** Checks an optional integer in [min, max] (a negative `min` reads a signed field); returns it when usable. */
  int(o: Obj, k: string, path: string, min: number, max: number, required = false): number | undefined {
    const v = o[k];
    const p = key(path, k);
    if (v === undefined || v === null) {
      if (required) this.add(p, 'required', 'is required');
      return undefined;
    }
    if (isTemplate(v)) return undefined;
    const n = parseNmstateInt(v, min < 0);
    if (n === undefined) {
      this.add(p, 'type', `must be an integer (or a string of one), got ${describe(v)}`);
      return undefined;
    }
    if (n < min || n > max) {
      this.add(p, 'range', `must be between ${min} and ${max}, got ${typeof v === 'number' ? v : JSON.stringify(v)}`);
      return undefined;
    }
    return n;
  }

  ifaceName(o: Obj, k: string, path: string, required = false): string | undefined {
    const name = this.str(o, k, path, required);
    if (name === undefined) return undefined;
    const problem = interfaceNameProblem(name);
    if (problem) {
      this.add(key(path, k), 'interface-name', `${JSON.stringify(name)} is not a valid interface name: ${problem}`);
      return undefined;
    }
    return name;
  }

  oneOf(o: Obj, k: string, path: string, allowed: readonly string[], rule: DesiredStateRule = 'enum'): string | undefined {
    const v = this.str(o, k, path);
    if (v === undefined) return undefined;
    if (!allowed.includes(v)) {
      this.add(key(path, k), rule, `${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
      return undefined;
    }
    return v;
  }
}

/**
 * Checks the structure of an nmstate desired state. Returns every problem found (empty = valid), each
 * with a field path like `interfaces[0].ipv4.address[1].prefix-length`. `null`/`undefined` and `{}`
 * are valid (an empty state is applied as "nothing to do", as upstream does).
 */
export function validateDesiredState(state: unknown): DesiredStateError[] {
  const c = new Collector();
  if (state === undefined || state === null) return c.errors;
  const root = c.obj(state, '');
  if (!root) return c.errors;
  for (const k of Object.keys(root)) {
    if (!TOP_LEVEL_KEYS.includes(k)) c.add(k, 'unknown-field', `unknown field; expected one of ${TOP_LEVEL_KEYS.join(', ')}`);
  }
  if (root.interfaces !== undefined) checkInterfaces(c, root.interfaces);
  if (root.routes !== undefined) checkRoutes(c, root.routes);
  if (root['route-rules'] !== undefined) checkRouteRules(c, root['route-rules']);
  if (root['dns-resolver'] !== undefined) checkDns(c, root['dns-resolver']);
  if (root.hostname !== undefined) {
    const h = c.obj(root.hostname, 'hostname');
    if (h) for (const k of ['running', 'config']) c.str(h, k, 'hostname');
  }
  if (root.description !== undefined) c.str(root, 'description', '');
  return c.errors;
}

function checkInterfaces(c: Collector, v: unknown): void {
  const list = c.list(v, 'interfaces');
  if (!list) return;
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const p = idx('interfaces', i);
    const iface = c.obj(item, p);
    if (!iface) return;
    const name = c.ifaceName(iface, 'name', p, true);
    c.oneOf(iface, 'state', p, INTERFACE_STATES, 'interface-state');
    // `type` may be left out for an interface that exists on the node: nmstate takes it from there, and
    // fails that node (not the policy) when it does not exist.
    const type = c.str(iface, 'type', p);
    if (type !== undefined && !(INTERFACE_TYPES as readonly string[]).includes(type)) {
      c.add(key(p, 'type'), 'interface-type', `${JSON.stringify(type)} is not a known interface type (${INTERFACE_TYPES.join(', ')})`);
    }
    if (name !== undefined) {
      // OVS lets a bridge and its internal interface share a name, so the pair (name, type) is the key.
      const id = `${name}\u0000${type ?? ''}`;
      const first = seen.get(id);
      if (first !== undefined) c.add(key(p, 'name'), 'duplicate-interface', `${JSON.stringify(name)} is already defined at interfaces[${first}]`);
      else seen.set(id, i);
    }
    c.int(iface, 'mtu', p, 0, U32_MAX);
    const mac = c.str(iface, 'mac-address', p);
    if (mac !== undefined && !isMacAddress(mac)) c.add(key(p, 'mac-address'), 'mac-address', `${JSON.stringify(mac)} is not a MAC address (six colon-separated hex octets)`);
    c.ifaceName(iface, 'controller', p);
    if (iface.ipv4 !== undefined) checkIp(c, iface.ipv4, key(p, 'ipv4'), 4);
    if (iface.ipv6 !== undefined) checkIp(c, iface.ipv6, key(p, 'ipv6'), 6);
    if (type === 'linux-bridge' || type === 'ovs-bridge') checkBridge(c, iface.bridge, key(p, 'bridge'));
    if (type === 'bond') checkBond(c, iface['link-aggregation'], key(p, 'link-aggregation'));
    if (type === 'vlan') checkVlan(c, iface.vlan, key(p, 'vlan'));
    if (type === 'vxlan' && iface.vxlan !== undefined) {
      const vx = c.obj(iface.vxlan, key(p, 'vxlan'));
      if (vx) {
        c.int(vx, 'id', key(p, 'vxlan'), 0, 16_777_215);
        c.ifaceName(vx, 'base-iface', key(p, 'vxlan'));
        c.int(vx, 'destination-port', key(p, 'vxlan'), 0, 65_535);
      }
    }
  });
}

function checkIp(c: Collector, v: unknown, path: string, family: 4 | 6): void {
  const ip = c.obj(v, path);
  if (!ip) return;
  for (const k of ['enabled', 'dhcp', 'autoconf', 'auto-dns', 'auto-gateway', 'auto-routes']) c.bool(ip, k, path);
  if (family === 4 && ip.autoconf !== undefined) c.add(key(path, 'autoconf'), 'unknown-field', 'is an IPv6-only setting');
  c.int(ip, 'auto-route-table-id', path, 0, U32_MAX);
  c.int(ip, 'auto-route-metric', path, 0, U32_MAX);
  if (ip.address === undefined || ip.address === null) return;
  const list = c.list(ip.address, key(path, 'address'));
  if (!list) return;
  list.forEach((item, i) => {
    const p = idx(key(path, 'address'), i);
    const a = c.obj(item, p);
    if (!a) return;
    const addr = c.str(a, 'ip', p, true);
    if (addr !== undefined) {
      const f = ipFamily(addr);
      if (f === 0) c.add(key(p, 'ip'), 'ip-address', `${JSON.stringify(addr)} is not an IP address`);
      else if (f !== family) c.add(key(p, 'ip'), 'ip-family', `${JSON.stringify(addr)} is an IPv${f} address under ipv${family}`);
    }
    c.int(a, 'prefix-length', p, 0, family === 4 ? 32 : 128, true);
  });
}

function checkBridge(c: Collector, v: unknown, path: string): void {
  if (v === undefined || v === null) return;
  const br = c.obj(v, path);
  if (!br) return;
  if (br.options !== undefined) c.obj(br.options, key(path, 'options'));
  // nmstate accepts `ports` as an alias of `port`.
  const portKey = br.port !== undefined ? 'port' : br.ports !== undefined ? 'ports' : undefined;
  if (!portKey) return;
  const list = c.list(br[portKey], key(path, portKey));
  list?.forEach((item, i) => {
    const p = idx(key(path, portKey), i);
    const port = c.obj(item, p);
    if (!port) return;
    c.ifaceName(port, 'name', p, true);
    if (port.vlan !== undefined) {
      const vl = c.obj(port.vlan, key(p, 'vlan'));
      if (vl) {
        c.oneOf(vl, 'mode', key(p, 'vlan'), ['trunk', 'access']);
        c.int(vl, 'tag', key(p, 'vlan'), 0, 4094);
      }
    }
  });
}

/** A bond's block. `mode` is needed only to create one; whether it exists is known on the node only. */
function checkBond(c: Collector, v: unknown, path: string): void {
  if (v === undefined || v === null) return;
  const la = c.obj(v, path);
  if (!la) return;
  if (la.mode !== undefined && la.mode !== null) {
    const mode = typeof la.mode === 'number' ? String(la.mode) : la.mode;
    c.oneOf({ mode }, 'mode', path, BOND_MODES);
  }
  if (la.options !== undefined) c.obj(la.options, key(path, 'options'));
  const portKey = la.port !== undefined ? 'port' : la.ports !== undefined ? 'ports' : undefined;
  if (!portKey) return;
  c.list(la[portKey], key(path, portKey))?.forEach((name, i) => {
    if (isTemplate(name)) return;
    const p = idx(key(path, portKey), i);
    if (typeof name !== 'string') c.add(p, 'type', `must be an interface name, got ${describe(name)}`);
    else {
      const problem = interfaceNameProblem(name);
      if (problem) c.add(p, 'interface-name', `${JSON.stringify(name)} is not a valid interface name: ${problem}`);
    }
  });
}

/** A VLAN's block. `base-iface` and `id` are needed only to create one (decided on the node). */
function checkVlan(c: Collector, v: unknown, path: string): void {
  if (v === undefined || v === null) return;
  const vl = c.obj(v, path);
  if (!vl) return;
  c.ifaceName(vl, 'base-iface', path);
  c.int(vl, 'id', path, 0, 4094);
  c.oneOf(vl, 'protocol', path, ['802.1q', '802.1ad']);
}

function checkRoutes(c: Collector, v: unknown): void {
  const routes = c.obj(v, 'routes');
  if (!routes) return;
  for (const k of Object.keys(routes)) {
    if (k !== 'config' && k !== 'running') c.add(key('routes', k), 'unknown-field', 'unknown field; expected config or running');
  }
  for (const section of ['config', 'running'] as const) {
    if (routes[section] === undefined) continue;
    const path = key('routes', section);
    c.list(routes[section], path)?.forEach((item, i) => {
      const p = idx(path, i);
      const r = c.obj(item, p);
      if (!r) return;
      const absent = c.oneOf(r, 'state', p, ['absent']) === 'absent';
      // An absent entry is a wildcard: any field may be left out.
      const dest = c.str(r, 'destination', p, !absent);
      let destFamily: 0 | 4 | 6 = 0;
      if (dest !== undefined) {
        const cidr = parseCidr(dest) ?? (ipFamily(dest) ? { family: ipFamily(dest) as 4 | 6 } : null);
        if (!cidr) c.add(key(p, 'destination'), 'cidr', `${JSON.stringify(dest)} is not an IP prefix like 198.51.100.0/24 or 2001:db8::/64`);
        else destFamily = cidr.family;
      }
      const hop = c.str(r, 'next-hop-address', p);
      if (hop !== undefined && hop !== '') {
        const f = ipFamily(hop);
        if (f === 0) c.add(key(p, 'next-hop-address'), 'ip-address', `${JSON.stringify(hop)} is not an IP address`);
        else if (destFamily !== 0 && f !== destFamily) c.add(key(p, 'next-hop-address'), 'ip-family', `IPv${f} next hop for an IPv${destFamily} destination`);
      }
      c.ifaceName(r, 'next-hop-interface', p);
      // -1 asks for the backend's default metric (nmstate's USE_DEFAULT_METRIC).
      c.int(r, 'metric', p, -1, U32_MAX);
      c.int(r, 'table-id', p, 0, U32_MAX);
      c.int(r, 'weight', p, 1, 256);
      c.oneOf(r, 'route-type', p, ['blackhole', 'unreachable', 'prohibit']);
      const src = c.str(r, 'source', p);
      if (src !== undefined && ipFamily(src) === 0) c.add(key(p, 'source'), 'ip-address', `${JSON.stringify(src)} is not an IP address`);
    });
  }
}

function checkRouteRules(c: Collector, v: unknown): void {
  const rr = c.obj(v, 'route-rules');
  if (!rr || rr.config === undefined) return;
  c.list(rr.config, 'route-rules.config')?.forEach((item, i) => {
    const p = idx('route-rules.config', i);
    const r = c.obj(item, p);
    if (!r) return;
    for (const k of ['ip-from', 'ip-to']) {
      const s = c.str(r, k, p);
      if (s !== undefined && s !== '' && !parseCidr(s) && ipFamily(s) === 0) c.add(key(p, k), 'cidr', `${JSON.stringify(s)} is not an IP address or prefix`);
    }
    // -1 asks for the default priority (nmstate's USE_DEFAULT_PRIORITY).
    c.int(r, 'priority', p, -1, U32_MAX);
    c.int(r, 'route-table', p, 0, U32_MAX);
    c.oneOf(r, 'family', p, ['ipv4', 'ipv6']);
    c.oneOf(r, 'state', p, ['absent']);
    c.ifaceName(r, 'iif', p);
  });
}

function checkDns(c: Collector, v: unknown): void {
  const dns = c.obj(v, 'dns-resolver');
  if (!dns) return;
  for (const section of ['config', 'running'] as const) {
    if (dns[section] === undefined) continue;
    const path = key('dns-resolver', section);
    const cfg = c.obj(dns[section], path);
    if (!cfg) continue;
    if (cfg.server !== undefined) {
      c.list(cfg.server, key(path, 'server'))?.forEach((s, i) => {
        if (isTemplate(s)) return;
        const p = idx(key(path, 'server'), i);
        // A link-local IPv6 server may carry a zone: fe80::1%eth1.
        const [addr = '', zone] = typeof s === 'string' ? s.split('%', 2) : [''];
        if (typeof s !== 'string' || ipFamily(addr) === 0 || (zone !== undefined && interfaceNameProblem(zone) !== null)) {
          c.add(p, 'dns-server', `${describe(s)} is not a name server address (IPv4, or IPv6 with an optional %interface zone)`);
        }
      });
    }
    if (cfg.search !== undefined) {
      c.list(cfg.search, key(path, 'search'))?.forEach((s, i) => {
        if (isTemplate(s)) return;
        if (typeof s !== 'string' || !isDnsName(s)) c.add(idx(key(path, 'search'), i), 'dns-search', `${describe(s)} is not a DNS domain name`);
      });
    }
    if (cfg.options !== undefined) {
      c.list(cfg.options, key(path, 'options'))?.forEach((s, i) => {
        if (!isTemplate(s) && typeof s !== 'string') c.add(idx(key(path, 'options'), i), 'type', `must be a string, got ${describe(s)}`);
      });
    }
  }
}
