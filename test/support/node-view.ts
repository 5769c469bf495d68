/**
 * The full view of a simulated node's network as an operator sees it, taken with the node's own
 * tools and nothing of the agent: `ip -d -j link` (kind, state, MTU, controller, MAC, IPv6
 * addr-gen-mode), `ip -j addr` (every address, link-local ones with their value, and their flags),
 * `ip -j route show table all` for IPv4 and IPv6 (with protocol, metric, scope, source, type), and in
 * NetworkManager mode `nmcli device` (`connected` vs `connected (externally)`), `nmcli connection`
 * (names, types, devices, files) and the content of every keyfile in the node's system-connections
 * folders (persistent and in-memory). Tests compare a view taken before a change with one taken
 * after putting the node back: that is what "restored exactly" means (docs/restore.md).
 *
 * Left out, because they change on their own: counters, address lifetimes, route `expires`, and the
 * UUIDs of NetworkManager's generated in-memory profiles (made anew each time it sees a device it
 * does not manage; their keyfiles are compared without the `uuid=` line), and the `timestamp=` line
 * (a profile's last activation, which NetworkManager writes into some keyfiles and not others).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNode, type SimNode } from '../../hack/cluster/nodes.ts';
import { nodeNmDir, runNmInNode } from '../../hack/cluster/networkmanager.ts';
import type { Run } from '../../hack/cluster/run.ts';

type J = Record<string, unknown>;

/** What {@link nodeView} returns; every list sorted. */
export interface NodeView {
  /** `eth0 veth up mtu=1500 master=- mac=… addrgenmode=eui64`. */
  links: string[];
  /** `eth0 inet 198.51.100.11/24 scope=global brd=198.51.100.255 noprefixroute`. */
  addresses: string[];
  /** `table=main default via 198.51.100.1 dev eth0 proto=boot metric=0 scope=global type=unicast`. */
  routes: string[];
  /** NetworkManager mode: `eth0 connected (externally) eth0` (device, state, connection). */
  devices?: string[];
  /** NetworkManager mode: `eth0 802-3-ethernet eth0 /etc/NetworkManager/system-connections/eth0.nmconnection`. */
  profiles?: string[];
  /** NetworkManager mode: `etc/eth0.nmconnection` or `run/eth0.nmconnection` → content. */
  keyfiles?: Record<string, string>;
}

const text = (v: unknown, dflt = '-'): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : dflt);

async function ipJson(node: SimNode, args: string[]): Promise<J[]> {
  const r = await runInNode(node, 'ip', ['-j', ...args]);
  if (r.exitCode !== 0) throw new Error(`ip -j ${args.join(' ')} in ${node.name}: ${String(r.stderr)}`);
  return JSON.parse(String(r.stdout) || '[]') as J[];
}

/** One link as a line. */
export function linkLine(l: J): string {
  const info = (l.linkinfo ?? {}) as J;
  const up = (l.flags as string[] | undefined)?.includes('UP') ? 'up' : 'down';
  return `${text(l.ifname)} ${text(info.info_kind, 'device')} ${up} mtu=${text(l.mtu)} master=${text(l.master)} mac=${text(l.address)} addrgenmode=${text(l.inet6_addr_gen_mode)}`;
}

const ADDRESS_FLAGS = ['dynamic', 'noprefixroute', 'nodad', 'optimistic', 'deprecated', 'tentative', 'dadfailed', 'home', 'mngtmpaddr', 'temporary', 'secondary', 'autojoin', 'stable-privacy'];

/** The addresses of one `ip -j addr` entry, a line each. */
export function addressLines(a: J): string[] {
  return ((a.addr_info ?? []) as J[]).map((i) => {
    const flags = ADDRESS_FLAGS.filter((f) => i[f] === true);
    const brd = i.broadcast !== undefined ? ` brd=${text(i.broadcast)}` : '';
    const metric = i.metric !== undefined ? ` metric=${text(i.metric)}` : '';
    return `${text(a.ifname)} ${text(i.family)} ${text(i.local)}/${text(i.prefixlen)} scope=${text(i.scope)}${brd}${metric}${flags.length ? ` ${flags.join(' ')}` : ''}`;
  });
}

/** One route as a line; iproute2 leaves out `proto boot`, metric 0 and type unicast. */
export function routeLine(r: J): string {
  const via = r.gateway !== undefined ? ` via ${text(r.gateway)}` : '';
  const src = r.prefsrc !== undefined ? ` src=${text(r.prefsrc)}` : '';
  const flags = ((r.flags ?? []) as string[]).filter((f) => f !== 'offload' && f !== 'trap');
  return `table=${text(r.table, 'main')} ${text(r.dst)}${via} dev ${text(r.dev)} proto=${text(r.protocol, 'boot')} metric=${text(r.metric, '0')} scope=${text(r.scope, 'global')} type=${text(r.type, 'unicast')}${src}${flags.length ? ` ${flags.join(' ')}` : ''}`;
}

/** The keyfiles of a NetworkManager-mode node (persistent `etc/…` and in-memory `run/…`), generated profiles' UUIDs masked. */
export function keyfiles(run: Run, node: Pick<SimNode, 'name'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const where of ['etc', 'run'] as const) {
    const dir = join(nodeNmDir(run, node.name), where, 'system-connections');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      const content = readFileSync(join(dir, f), 'utf8');
      // NetworkManager writes a profile's last activation time into some keyfiles and not others: not configuration.
      const stable = content.replace(/^timestamp=.*\n/m, '');
      out[`${where}/${f}`] = where === 'run' ? stable.replace(/^uuid=.*$/m, 'uuid=<generated>') : stable;
    }
  }
  return out;
}

async function nmcliLines(node: SimNode, args: string[]): Promise<string[]> {
  const r = await runNmInNode(node, 'nmcli', ['-t', ...args]);
  if (r.exitCode !== 0) throw new Error(`nmcli ${args.join(' ')} in ${node.name}: ${String(r.stderr)}`);
  // Terse output separates fields with ':' (escaped as '\:' inside a value).
  return String(r.stdout)
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(/(?<!\\):/).map((f) => f.replaceAll('\\:', ':')).join(' '))
    .sort();
}

/** The full view of `node` (see the module comment); `run` is needed for the keyfiles of a NetworkManager-mode node. */
export async function nodeView(node: SimNode, run: Run): Promise<NodeView> {
  const [links, addrs, r4, r6] = await Promise.all([
    ipJson(node, ['-d', 'link', 'show']),
    ipJson(node, ['addr', 'show']),
    ipJson(node, ['-4', 'route', 'show', 'table', 'all']),
    ipJson(node, ['-6', 'route', 'show', 'table', 'all']),
  ]);
  const view: NodeView = {
    links: links.map(linkLine).sort(),
    addresses: addrs.flatMap(addressLines).sort(),
    routes: [...r4, ...r6].map(routeLine).sort(),
  };
  if (node.mode === 'networkmanager') {
    view.devices = await nmcliLines(node, ['-f', 'DEVICE,STATE,CONNECTION', 'device']);
    view.profiles = await nmcliLines(node, ['-f', 'NAME,TYPE,DEVICE,FILENAME', 'connection', 'show']);
    view.keyfiles = keyfiles(run, node);
  }
  return view;
}
