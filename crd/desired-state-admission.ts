/**
 * The part of {@link validateDesiredState} that the ValidatingAdmissionPolicy can check in CEL, so that
 * `kubectl apply` refuses a policy whose desiredState nmstate would refuse anyway, with the field path:
 * `spec.desiredState.interfaces[2].ipv4.address[0].prefix-length: must be between 0 and 32`.
 *
 * The CRD keeps desiredState free-form (`x-kubernetes-preserve-unknown-fields`), so the policy sees it
 * as untyped JSON: every rule checks a value's type before it reads it, and a rule never errors on an
 * unexpected shape (an error would deny with a CEL message instead of ours). Each rule is a variable
 * that lists the problems it found as messages; its validation passes when that list is empty and
 * joins the list as its message.
 *
 * These rules are a strict subset of validateDesiredState's, and never stricter: a value CEL cannot
 * judge exactly (an IPv4-mapped IPv6 address, a `0x` prefix length, a name with Unicode spaces) is let
 * through for the rollout to refuse before any node is touched. nmpolicy templates (`{{ … }}`) pass
 * everywhere. Pure: returns manifest fragments, no I/O.
 */
import { celString } from './schema.ts';
import { DNS_NAME_PATTERN } from './net.ts';
import { INTERFACE_STATES, INTERFACE_TYPES, TOP_LEVEL_KEYS } from './desired-state.ts';

/** A ValidatingAdmissionPolicy variable. */
export interface AdmissionVariable {
  name: string;
  expression: string;
}

/** A ValidatingAdmissionPolicy validation. */
export interface AdmissionValidation {
  expression: string;
  messageExpression: string;
  message: string;
  reason: 'Invalid';
}

/** The prefix of every path in the messages. */
export const DESIRED_STATE_PATH = 'spec.desiredState';

/** Kernel interface-name rule, as the messages word it (`dev_valid_name`). */
export const IFACE_NAME_RULE = 'is not a valid interface name: 1-15 bytes, not "." or "..", no "/", ":", whitespace or control characters';

const lit = celString;
const list = (xs: readonly string[]): string => `[${xs.map(lit).join(', ')}]`;
const isMap = (x: string): string => `(type(${x}) == map)`;
const isList = (x: string): string => `(type(${x}) == list)`;
const isStr = (x: string): string => `(type(${x}) == string)`;
/**
 * Could be an nmpolicy template (`{{ capture.… }}`), resolved per node: never judged here. `contains`
 * is far cheaper than a regex in CEL's cost model and lets slightly more through (the validator's test
 * also wants the closing braces), so it never refuses what the validator accepts.
 */
const isTpl = (x: string): string => `(${isStr(x)} && ${x}.contains('{{'))`;
/** A string that is not a template (safe to judge). */
const plain = (x: string): string => `(${isStr(x)} && !${isTpl(x)})`;
/** `m` is a map holding key `k` with a non-null value. */
const holds = (m: string, k: string): string => `(${isMap(m)} && ${lit(k)} in ${m} && ${m}[${lit(k)}] != null)`;
/** A kernel-valid interface name (code points of the RE2 class: whitespace and control characters). */
const validIfaceName = (n: string): string =>
  `(size(bytes(${n})) >= 1 && size(bytes(${n})) <= 15 && ${n} != '.' && ${n} != '..' && !${n}.matches(${lit('[/:\\s\\x00-\\x1f\\x7f]')}))`;
/** Could be an IPv6 address with an IPv4 tail, which CEL's isIP() refuses and nmstate accepts: the validator judges it. */
const maybeMapped = (s: string): string => `(${s}.contains(':') && ${s}.contains('.'))`;

/**
 * A rule tree, rendered twice: as a cheap boolean (`ok`: no lists built, `all()` stops at the first
 * problem) that the validation evaluates, and as the list of messages with paths that the
 * messageExpression evaluates only when the boolean is false. Paths are CEL string expressions.
 */
type Check =
  /** A problem when `bad` holds. */
  | { bad: string; msg: string }
  /** `body` for every element of the list `list` when `guard` holds (and it is a list). */
  | { guard: string; list: string; each: (elem: string, path: string) => Check[]; path: string };

const bad = (cond: string, msg: string): Check => ({ bad: cond, msg });
const each = (guard: string, l: string, path: string, body: (elem: string, path: string) => Check[]): Check => ({ guard, list: l, each: body, path });

let depth = 0;
/** The boolean "no problem" form. */
function okExpr(checks: Check[]): string {
  if (!checks.length) return 'true';
  return checks
    .map((c) => {
      if ('bad' in c) return `!(${c.bad})`;
      const v = `e${depth++}`;
      const body = okExpr(c.each(v, "''"));
      depth--;
      return `(!(${c.guard} && ${isList(c.list)}) || ${c.list}.all(${v}, ${body}))`;
    })
    .join(' && ');
}
/** The message-list form. */
function msgExpr(checks: Check[]): string {
  if (!checks.length) return '[]';
  return checks
    .map((c) => {
      if ('bad' in c) return `((${c.bad}) ? [${c.msg}] : [])`;
      const i = `i${depth++}`;
      const body = msgExpr(c.each(`${c.list}[${i}]`, `${c.path} + '[' + string(${i}) + ']'`));
      depth--;
      return `((${c.guard} && ${isList(c.list)}) ? lists.range(size(${c.list})).map(${i}, ${body}).flatten() : [])`;
    })
    .join(' + ');
}

/** Checks of an interface-name field `k` of map `m` (optional unless `required`). */
function ifaceNameField(m: string, k: string, path: string, required: boolean): Check[] {
  const v = `${m}[${lit(k)}]`;
  const p = `${path} + '.${k}'`;
  return [
    ...(required ? [bad(`${isMap(m)} && !${holds(m, k)}`, `${p} + ': is required'`)] : []),
    bad(`${holds(m, k)} && !${isStr(v)}`, `${p} + ': must be a string'`),
    bad(`${holds(m, k)} && ${plain(v)} && !${validIfaceName(v)}`, `${p} + ${lit(`: ${IFACE_NAME_RULE}`)}`),
  ];
}

/** Check of an optional field `k` of map `m` whose string value must be one of `allowed`. */
function enumField(m: string, k: string, path: string, allowed: readonly string[]): Check {
  const v = `${m}[${lit(k)}]`;
  return bad(`${holds(m, k)} && !${isTpl(v)} && !(${isStr(v)} && ${v} in ${list(allowed)})`, `${path} + ${lit(`.${k}: must be one of ${allowed.join(', ')}`)}`);
}

/**
 * Checks of an unsigned integer field `k` of map `m` in [0, max]: an integer, or a string of decimal
 * digits in range (a `0x` string is left to the validator); a float, a boolean, a list or other text is
 * refused.
 */
function uintField(m: string, k: string, path: string, max: number, required: boolean): Check[] {
  const v = `${m}[${lit(k)}]`;
  const p = `${path} + '.${k}'`;
  const range = lit(`: must be between 0 and ${max}`);
  const has = holds(m, k);
  const digits = String(max).length;
  return [
    ...(required ? [bad(`${isMap(m)} && !${has}`, `${p} + ': is required'`)] : []),
    bad(`${has} && type(${v}) == int && (${v} < 0 || ${v} > ${max})`, `${p} + ${range}`),
    bad(`${has} && ${isStr(v)} && ${v}.matches('^\\\\+?[0-9]+$') && (!${v}.matches('^\\\\+?0*[0-9]{1,${digits}}$') || int(${v}) > ${max})`, `${p} + ${range}`),
    bad(`${has} && type(${v}) != int && !(${isStr(v)} && (${v}.matches('^(\\\\+?[0-9]+|0x[0-9A-Fa-f]+)$') || ${isTpl(v)}))`, `${p} + ': must be an integer (or a string of one)'`),
  ];
}

/** Checks of one `ipv4`/`ipv6` block's address list. */
function addresses(ip: string, path: string, family: 4 | 6): Check[] {
  const l = `${ip}.address`;
  const lp = `${path} + '.address'`;
  return [
    bad(`${holds(ip, 'address')} && !${isList(l)} && !${isTpl(l)}`, `${lp} + ': must be a list'`),
    each(holds(ip, 'address'), l, lp, (a, p) => {
      const v = `${a}.ip`;
      const ipp = `${p} + '.ip'`;
      return [
        bad(`!${isMap(a)} && !${isTpl(a)}`, `${p} + ': must be an object'`),
        bad(`${isMap(a)} && !${holds(a, 'ip')}`, `${ipp} + ': is required'`),
        bad(`${holds(a, 'ip')} && !${isStr(v)}`, `${ipp} + ': must be a string'`),
        bad(`${holds(a, 'ip')} && ${plain(v)} && !isIP(${v}) && !${maybeMapped(v)}`, `${ipp} + ': is not an IP address'`),
        bad(`${holds(a, 'ip')} && ${plain(v)} && isIP(${v}) && ip(${v}).family() != ${family}`, `${ipp} + ${lit(`: is an IPv${family === 4 ? 6 : 4} address under ipv${family}`)}`),
        ...uintField(a, 'prefix-length', p, family === 4 ? 32 : 128, true),
      ];
    }),
  ];
}

/** Checks of one entry of `interfaces`: its shape, name, state, type and controller. */
function iface(x: string, path: string): Check[] {
  return [
    bad(`!${isMap(x)} && !${isTpl(x)}`, `${path} + ': must be an object'`),
    ...ifaceNameField(x, 'name', path, true),
    enumField(x, 'state', path, INTERFACE_STATES),
    enumField(x, 'type', path, INTERFACE_TYPES),
    ...ifaceNameField(x, 'controller', path, false),
  ];
}

const typeIs = (x: string, types: string[]): string => `(${holds(x, 'type')} && (${types.map((t) => `${x}.type == ${lit(t)}`).join(' || ')}))`;

/**
 * Checks of a port list `k` (`port`, or its alias `ports` when `port` is absent, as the validator
 * reads them) of block `b`, whose elements `elem` checks.
 */
function portLists(b: string, bp: string, inBlock: string, elem: (e: string, ep: string) => Check[]): Check[] {
  return (
    [
      ['port', holds(b, 'port')],
      ['ports', `!('port' in ${b}) && ${holds(b, 'ports')}`],
    ] as const
  ).flatMap(([k, guard]) => {
    const l = `${b}.${k}`;
    return [bad(`${inBlock} && ${guard} && !${isList(l)} && !${isTpl(l)}`, `${bp} + '.${k}: must be a list'`), each(`${inBlock} && ${guard}`, l, `${bp} + '.${k}'`, elem)];
  });
}

/**
 * The ports and base interface an entry names, one rule each (each has its own CEL cost budget): a
 * bridge's `port[].name`, a bond's `link-aggregation.port[]`, a VLAN's `vlan.base-iface` and `vlan.id`.
 * Only for an entry that gives its type, as the validator does (without a type nmstate does not read
 * those blocks as such).
 */
function bridgePorts(x: string, path: string): Check[] {
  const br = `${x}.bridge`;
  return portLists(br, `${path} + '.bridge'`, `${typeIs(x, ['linux-bridge', 'ovs-bridge'])} && ${holds(x, 'bridge')} && ${isMap(br)}`, (e, ep) => [
    bad(`!${isMap(e)} && !${isTpl(e)}`, `${ep} + ': must be an object'`),
    ...ifaceNameField(e, 'name', ep, true),
  ]);
}

/** See {@link bridgePorts}. */
function bondPorts(x: string, path: string): Check[] {
  const la = `${x}['link-aggregation']`;
  return portLists(la, `${path} + '.link-aggregation'`, `${typeIs(x, ['bond'])} && ${holds(x, 'link-aggregation')} && ${isMap(la)}`, (e, ep) => [
    bad(`!${isStr(e)}`, `${ep} + ': must be an interface name (a string)'`),
    bad(`${plain(e)} && !${validIfaceName(e)}`, `${ep} + ${lit(`: ${IFACE_NAME_RULE}`)}`),
  ]);
}

/** See {@link bridgePorts}. The block as a one-element list, so that its checks run only when it is an object. */
function vlanBlock(x: string, path: string): Check[] {
  const vl = `${x}.vlan`;
  const vlp = `${path} + '.vlan'`;
  return [each(`${typeIs(x, ['vlan'])} && ${holds(x, 'vlan')} && ${isMap(vl)}`, `[${vl}]`, vlp, (v) => [...ifaceNameField(v, 'base-iface', vlp, false), ...uintField(v, 'id', vlp, 4094, false)])];
}

/** Checks of one entry's `ipv4` or `ipv6` block (a variable of its own: CEL's cost limit is per expression). */
function ifaceIp(family: 4 | 6): (x: string, path: string) => Check[] {
  return (x, path) => {
    const k = `ipv${family}`;
    const b = `${x}.${k}`;
    const bp = `${path} + '.${k}'`;
    const blockBad = bad(`${holds(x, k)} && !${isMap(b)} && !${isTpl(b)}`, `${bp} + ': must be an object'`);
    // Only an object block is read further; the guard keeps `addresses` from reading anything else.
    return [blockBad, each(`${holds(x, k)} && ${isMap(b)}`, `[${b}]`, bp, (blk) => addresses(blk, bp, family))];
  };
}

/** Checks of one route entry (`routes.config[i]` or `routes.running[i]`). */
function route(r: string, path: string): Check[] {
  const d = `${r}.destination`;
  const dp = `${path} + '.destination'`;
  const h = `${r}['next-hop-address']`;
  const hp = `${path} + '.next-hop-address'`;
  const absent = `(${holds(r, 'state')} && ${r}.state == 'absent')`;
  return [
    bad(`!${isMap(r)} && !${isTpl(r)}`, `${path} + ': must be an object'`),
    bad(`${holds(r, 'state')} && !${isTpl(`${r}.state`)} && ${r}.state != 'absent'`, `${path} + '.state: must be absent (or left out)'`),
    bad(`${isMap(r)} && !${holds(r, 'destination')} && !${absent}`, `${dp} + ': is required (except in an absent entry)'`),
    bad(`${holds(r, 'destination')} && !${isStr(d)}`, `${dp} + ': must be a string'`),
    bad(`${holds(r, 'destination')} && ${plain(d)} && !isCIDR(${d}) && !isIP(${d}) && !${maybeMapped(d)}`, `${dp} + ': is not an IP prefix like 198.51.100.0/24 or 2001:db8::/64'`),
    bad(`${holds(r, 'next-hop-address')} && !${isStr(h)}`, `${hp} + ': must be a string'`),
    bad(`${holds(r, 'next-hop-address')} && ${plain(h)} && ${h} != '' && !isIP(${h}) && !${maybeMapped(h)}`, `${hp} + ': is not an IP address'`),
    ...ifaceNameField(r, 'next-hop-interface', path, false),
  ];
}

/** Checks of `routes`. */
function routes(ds: string): Check[] {
  const r = `${ds}.routes`;
  const p = lit(`${DESIRED_STATE_PATH}.routes`);
  const checks: Check[] = [
    bad(`${holds(ds, 'routes')} && !${isMap(r)} && !${isTpl(r)}`, `${p} + ': must be an object'`),
    // Unknown keys: the list of keys, each checked (a map's `all` iterates its keys).
    each(`${holds(ds, 'routes')} && ${isMap(r)}`, `${r}.filter(k, !(k in ['config', 'running']))`, p, (k) => [bad('true', `${p} + '.' + ${k} + ': unknown field; expected config or running'`)]),
  ];
  for (const section of ['config', 'running']) {
    const l = `${r}.${section}`;
    const lp = lit(`${DESIRED_STATE_PATH}.routes.${section}`);
    checks.push(bad(`${holds(ds, 'routes')} && ${holds(r, section)} && !${isList(l)} && !${isTpl(l)}`, `${lp} + ': must be a list'`));
    checks.push(each(`${holds(ds, 'routes')} && ${holds(r, section)}`, l, lp, route));
  }
  return checks;
}

/** Checks of `dns-resolver.config` / `.running`. */
function dns(ds: string): Check[] {
  const d = `${ds}['dns-resolver']`;
  const has = holds(ds, 'dns-resolver');
  const p = lit(`${DESIRED_STATE_PATH}.dns-resolver`);
  const checks: Check[] = [bad(`${has} && !${isMap(d)} && !${isTpl(d)}`, `${p} + ': must be an object'`)];
  for (const section of ['config', 'running']) {
    const c = `${d}.${section}`;
    const cp = `${p} + '.${section}'`;
    const inSection = `${has} && ${holds(d, section)}`;
    const zone = (s: string): string => `(!${s}.contains('%') || ${validIfaceName(`${s}.split('%', 2)[1]`)})`;
    checks.push(
      bad(`${inSection} && !${isMap(c)} && !${isTpl(c)}`, `${cp} + ': must be an object'`),
      bad(`${inSection} && ${holds(c, 'server')} && !${isList(`${c}.server`)} && !${isTpl(`${c}.server`)}`, `${cp} + '.server: must be a list'`),
      each(`${inSection} && ${holds(c, 'server')}`, `${c}.server`, `${cp} + '.server'`, (s, sp) => [
        bad(
          `!${isTpl(s)} && !(${isStr(s)} && (${maybeMapped(`${s}.split('%')[0]`)} || isIP(${s}.split('%')[0]) && ${zone(s)}))`,
          `${sp} + ': is not a name server address (IPv4, or IPv6 with an optional %interface zone)'`,
        ),
      ]),
      bad(`${inSection} && ${holds(c, 'search')} && !${isList(`${c}.search`)} && !${isTpl(`${c}.search`)}`, `${cp} + '.search: must be a list'`),
      each(`${inSection} && ${holds(c, 'search')}`, `${c}.search`, `${cp} + '.search'`, (s, sp) => [
        bad(`!${isTpl(s)} && !(${isStr(s)} && size(${s}) <= 254 && ${s}.matches(${lit(DNS_NAME_PATTERN)}))`, `${sp} + ': is not a DNS domain name'`),
      ]),
    );
  }
  return checks;
}

const DS = 'variables.desiredState';
const IFACES = `${DS}.interfaces`;
const IFACES_PATH = lit(`${DESIRED_STATE_PATH}.interfaces`);

/** Each rule: its checks and the message used if its message list cannot be built. */
const RULES: { name: string; checks: () => Check[]; fallback: string }[] = [
  {
    name: 'dsTopLevel',
    checks: () => [
      each('true', `${DS}.filter(k, !(k in ${list(TOP_LEVEL_KEYS)}))`, lit(DESIRED_STATE_PATH), (k) => [
        bad('true', `${lit(`${DESIRED_STATE_PATH}.`)} + ${k} + ${lit(`: unknown field; expected one of ${TOP_LEVEL_KEYS.join(', ')}`)}`),
      ]),
    ],
    fallback: `${DESIRED_STATE_PATH}: unknown top-level field; expected one of ${TOP_LEVEL_KEYS.join(', ')}`,
  },
  {
    name: 'dsInterfaces',
    checks: () => [
      bad(`${holds(DS, 'interfaces')} && !${isList(IFACES)} && !${isTpl(IFACES)}`, lit(`${DESIRED_STATE_PATH}.interfaces: must be a list`)),
      each(holds(DS, 'interfaces'), IFACES, IFACES_PATH, iface),
    ],
    fallback: `${DESIRED_STATE_PATH}.interfaces: invalid interface list (an entry, name, state or type is malformed)`,
  },
  { name: 'dsBridgePorts', checks: () => [each(holds(DS, 'interfaces'), IFACES, IFACES_PATH, bridgePorts)], fallback: `${DESIRED_STATE_PATH}.interfaces: invalid bridge port` },
  { name: 'dsBondPorts', checks: () => [each(holds(DS, 'interfaces'), IFACES, IFACES_PATH, bondPorts)], fallback: `${DESIRED_STATE_PATH}.interfaces: invalid bond port` },
  { name: 'dsVlan', checks: () => [each(holds(DS, 'interfaces'), IFACES, IFACES_PATH, vlanBlock)], fallback: `${DESIRED_STATE_PATH}.interfaces: invalid VLAN (base-iface, id)` },
  ...([4, 6] as const).map((family) => ({
    name: `dsIpv${family}`,
    checks: () => [each(holds(DS, 'interfaces'), IFACES, IFACES_PATH, ifaceIp(family))],
    fallback: `${DESIRED_STATE_PATH}.interfaces: invalid ipv${family} address (ip or prefix-length)`,
  })),
  { name: 'dsRoutes', checks: () => routes(DS), fallback: `${DESIRED_STATE_PATH}.routes: invalid route (destination, next hop or state is malformed)` },
  { name: 'dsDns', checks: () => dns(DS), fallback: `${DESIRED_STATE_PATH}.dns-resolver: invalid name server or search domain` },
];

/**
 * Variables the rules read: the desiredState (`{}` when absent), then per rule `<name>Ok` (the cheap
 * boolean) and `<name>` (its messages, evaluated only for the message of a failed rule).
 */
export function desiredStateVariables(): AdmissionVariable[] {
  return [
    { name: 'desiredState', expression: 'has(object.spec) && has(object.spec.desiredState) && type(object.spec.desiredState) == map ? object.spec.desiredState : {}' },
    // Ratcheting: an UPDATE that leaves desiredState as it was (labels, finalizers, another spec field)
    // is not judged again, so an object stored before a rule existed can still be changed and deleted.
    {
      name: 'desiredStateChanged',
      expression:
        "request.operation != 'UPDATE' || oldObject == null || !has(oldObject.spec) || !has(oldObject.spec.desiredState) || oldObject.spec.desiredState != variables.desiredState",
    },
    ...RULES.flatMap((r) => {
      const checks = r.checks();
      return [
        { name: `${r.name}Ok`, expression: okExpr(checks) },
        { name: r.name, expression: msgExpr(checks) },
      ];
    }),
  ];
}

/** One validation per rule: passes when its boolean holds (or desiredState is unchanged), else says every problem it finds. */
export function desiredStateValidations(): AdmissionValidation[] {
  return RULES.map((r) => ({
    expression: `!variables.desiredStateChanged || variables.${r.name}Ok`,
    messageExpression: `variables.${r.name}.join('; ')`,
    message: r.fallback,
    reason: 'Invalid',
  }));
}
