/**
 * The NodeNetworkState filter, as upstream's `pkg/state/filter.go` (pure):
 * - drop interfaces that are `type: veth` and `state: ignore`;
 * - drop the dynamic linux-bridge options `gc-timer` and `hello-timer`;
 * - drop `preferred-life-time` and `valid-life-time` from addresses;
 * - drop config and running routes whose `next-hop-interface` is not among the interfaces kept;
 * - keep only `interfaces`, `routes{config,running}`, `dns-resolver{config,running}{search,server}`
 *   and `ovn{bridge-mappings}`.
 */
import type { NetworkState } from '../../crd/network-state.ts';
import { isObj } from '../../crd/json.ts';

type Obj = Record<string, unknown>;

function filterAddresses(ip: unknown): unknown {
  if (!isObj(ip) || !Array.isArray(ip.address)) return ip;
  return {
    ...ip,
    address: (ip.address as unknown[]).map((a) => {
      if (!isObj(a)) return a;
      const rest = { ...a };
      delete rest['preferred-life-time'];
      delete rest['valid-life-time'];
      return rest;
    }),
  };
}

function filterInterface(iface: Obj): Obj {
  const out: Obj = { ...iface };
  if (out.ipv4 !== undefined) out.ipv4 = filterAddresses(out.ipv4);
  if (out.ipv6 !== undefined) out.ipv6 = filterAddresses(out.ipv6);
  if (iface.type === 'linux-bridge' && isObj(iface.bridge) && isObj(iface.bridge.options)) {
    const options = { ...iface.bridge.options };
    delete options['gc-timer'];
    delete options['hello-timer'];
    out.bridge = { ...iface.bridge, options };
  }
  return out;
}

function pickDns(v: unknown): Obj | undefined {
  if (!isObj(v)) return undefined;
  const out: Obj = {};
  if (v.search !== undefined) out.search = v.search;
  if (v.server !== undefined) out.server = v.server;
  return out;
}

/** Filters `nmstatectl show` output the way upstream does before writing it to NNS.status.currentState. */
export function filterNetworkState(state: NetworkState): NetworkState {
  const interfaces = (Array.isArray(state.interfaces) ? (state.interfaces as unknown[]) : []).filter(isObj).filter((i) => !(i.type === 'veth' && i.state === 'ignore')).map(filterInterface);
  const kept = new Set(interfaces.map((i) => i.name));
  const keepRoute = (r: unknown): boolean => isObj(r) && (r['next-hop-interface'] === undefined || kept.has(r['next-hop-interface']));
  const out: NetworkState = {};
  const dns = state['dns-resolver'];
  if (isObj(dns)) {
    const d: Obj = {};
    const config = pickDns(dns.config);
    const running = pickDns(dns.running);
    if (config) d.config = config;
    if (running) d.running = running;
    out['dns-resolver'] = d;
  }
  out.interfaces = interfaces;
  if (isObj(state.routes)) {
    const r: Obj = {};
    for (const k of ['config', 'running'] as const) {
      const list = state.routes[k];
      if (Array.isArray(list)) r[k] = (list as unknown[]).filter(keepRoute);
    }
    out.routes = r;
  }
  if (isObj(state.ovn) && state.ovn['bridge-mappings'] !== undefined) out.ovn = { 'bridge-mappings': state.ovn['bridge-mappings'] };
  return out;
}
