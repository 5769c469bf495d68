/**
 * Which kernel link kinds a desired state needs created (pure). Used to fail fast where the node's
 * kernel cannot create a kind at all: NetworkManager mode otherwise finds out only after nmstate's
 * activation retries (2, 4, … 64 s back-off: ~126 s for a VLAN on a kernel without 8021q).
 */
import type { NetworkState } from '../../crd/network-state.ts';
import { isObj } from '../../crd/json.ts';

/** nmstate interface type → the kernel's rtnetlink kind (`ip link add … type <kind>`) and the module that provides it. */
export const LINK_KINDS: Readonly<Record<string, { kind: string; module: string }>> = {
  vlan: { kind: 'vlan', module: '8021q' },
  bond: { kind: 'bond', module: 'bonding' },
  dummy: { kind: 'dummy', module: 'dummy' },
  'linux-bridge': { kind: 'bridge', module: 'bridge' },
  vxlan: { kind: 'vxlan', module: 'vxlan' },
  'mac-vlan': { kind: 'macvlan', module: 'macvlan' },
  'mac-vtap': { kind: 'macvtap', module: 'macvtap' },
  ipvlan: { kind: 'ipvlan', module: 'ipvlan' },
  vrf: { kind: 'vrf', module: 'vrf' },
  veth: { kind: 'veth', module: 'veth' },
  team: { kind: 'team', module: 'team' },
  hsr: { kind: 'hsr', module: 'hsr' },
  macsec: { kind: 'macsec', module: 'macsec' },
  xfrm: { kind: 'xfrm', module: 'xfrm_interface' },
};

/** One interface of a desired state that the apply would create as a new kernel link. */
export interface LinkToCreate {
  /** Field path, e.g. `interfaces[0]`. */
  path: string;
  name: string;
  /** nmstate type, e.g. `vlan`. */
  type: string;
  /** Kernel kind, e.g. `vlan`. */
  kind: string;
  /** Kernel module that provides the kind, e.g. `8021q`. */
  module: string;
}


/**
 * The interfaces of `desired` that do not exist in `current` and would be created (state `up`, or no
 * state), with a kernel link kind from {@link LINK_KINDS}. Interfaces that exist already, are
 * `absent`/`down`/`ignore`, or have a type without a kernel kind of its own (ethernet, OVS, …) are
 * not listed.
 */
export function linksToCreate(desired: NetworkState, current: NetworkState): LinkToCreate[] {
  const existing = new Set((Array.isArray(current.interfaces) ? (current.interfaces as unknown[]) : []).filter(isObj).map((i) => String(i.name)));
  const out: LinkToCreate[] = [];
  const ifaces = Array.isArray(desired.interfaces) ? (desired.interfaces as unknown[]) : [];
  ifaces.forEach((i, idx) => {
    if (!isObj(i) || typeof i.name !== 'string' || typeof i.type !== 'string') return;
    const state = i.state ?? 'up';
    if (state !== 'up' || existing.has(i.name)) return;
    const k = LINK_KINDS[i.type];
    if (k) out.push({ path: `interfaces[${idx}]`, name: i.name, type: i.type, ...k });
  });
  return out;
}
