/**
 * Simulated nodes: each node is a Linux network namespace with a management NIC `eth0` and two spare
 * NICs `eth1`, `eth2`, all veths into one "fabric" namespace per node group that plays the data
 * centre: the management bridge with the gateway, the data bridge, and dnsmasq as the nodes' DNS.
 *
 *   node ns  eth0 198.51.100.<10+i>/24, default via 198.51.100.1, resolver 198.51.100.1
 *            eth1, eth2 up, unconfigured (for policies)
 *   fabric   br-mgmt 198.51.100.1/24 <- m<i> (peer of eth0)
 *            br-data 203.0.113.1/24  <- a<i>, b<i> (peers of eth1, eth2), kept up so `state: up` verifies
 *            dnsmasq on 198.51.100.1: zone knmstate.test, never forwards anywhere
 *
 * Only documentation ranges are used, and nothing is attached to the host's own interfaces. Each group
 * has its own fabric, so groups (one per test file) never share addresses. A `Node` object per node
 * is created in the apiserver with hostname, zone and role labels and a Ready condition.
 *
 * Node mode (per group): `kernel` nodes have no NetworkManager (nmstatectl runs with `-k`);
 * `networkmanager` nodes each run a real NetworkManager on a private D-Bus (./networkmanager.ts),
 * eth1/eth2 start down and unconfigured for it to manage, and the fabric's dnsmasq also serves DHCP on
 * br-data (203.0.113.128-254). The mode comes from the option, else KNMSTATE_NODE_MODE, else the
 * run's default (`cluster up --mode`), else networkmanager: the production path is the default, and
 * kernel mode is for machines without NetworkManager (hack/setup.sh sets KNMSTATE_NODE_MODE=kernel
 * where NetworkManager cannot be installed).
 */
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { execa, type Result } from 'execa';
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { NETNS_PREFIX, deleteNetns, type Run } from './run.ts';
import { startProcess, isAlive, tailLog } from './proc.ts';
import { eventually, GiveUp } from './wait.ts';
import { SIMULATED_DBUS_ANNOTATION, SIMULATED_MODE_LABEL, SIMULATED_NETNS_ANNOTATION } from '../../activities/kube/nodes.ts';
import {
  acquireInotifyLease,
  nodeBusAddress,
  releaseInotifyLease,
  restartNodeNetworkManager,
  startNodeNetworkManagers,
  stopNodeNetworkManager,
  teardownNodeNetworkManagers,
  writeMgmtProfile,
  type StartNmOptions,
} from './networkmanager.ts';

/** Most nodes a group can have: eth0 addresses are 198.51.100.11-254. */
export const MAX_NODES_PER_GROUP = 244;
/** The fabric's gateway and DNS server address as the nodes see it. */
export const MGMT_GATEWAY = '198.51.100.1';
/** Address of the fabric on the spare-NIC (data) network. */
export const DATA_GATEWAY = '203.0.113.1';
/** DNS zone the fabric's dnsmasq answers for. */
export const DNS_ZONE = 'knmstate.test';
/** Label that marks Node objects made by the harness. */
export const SIMULATED_LABEL = 'knmstate.io/simulated';
/** Annotation on a simulated Node naming its network namespace (defined where the node agent reads it). */
export const NETNS_ANNOTATION = SIMULATED_NETNS_ANNOTATION;
/** Annotation on a NetworkManager-mode simulated Node: its `DBUS_SYSTEM_BUS_ADDRESS`. */
export const DBUS_ADDRESS_ANNOTATION = SIMULATED_DBUS_ANNOTATION;
/** Label on a simulated Node: its node mode. */
export const NODE_MODE_LABEL = SIMULATED_MODE_LABEL;
/** First and last address the fabric's DHCP server leases on br-data (NetworkManager mode); keep static test addresses below. */
export const DATA_DHCP_RANGE = ['203.0.113.128', '203.0.113.254'] as const;

/**
 * How a simulated node is configured: `kernel` — nmstatectl in kernel mode (`-k`), no NetworkManager;
 * `networkmanager` — a real NetworkManager per node (the production path: checkpoints, DHCP).
 */
export type NodeMode = 'kernel' | 'networkmanager';
/** Every node mode. */
export const NODE_MODES: readonly NodeMode[] = ['kernel', 'networkmanager'];
/** Environment variable that picks the node mode of groups that do not name one. */
export const NODE_MODE_ENV = 'KNMSTATE_NODE_MODE';

/** Checks a node mode given as text (flag, environment); `what` names where it came from. */
export function parseNodeMode(value: string, what = 'node mode'): NodeMode {
  if ((NODE_MODES as readonly string[]).includes(value)) return value as NodeMode;
  throw new Error(`${what} must be one of ${NODE_MODES.join(', ')}; got "${value}"`);
}

/** Records the mode that groups of this run get when neither the option nor KNMSTATE_NODE_MODE names one. */
export function setRunNodeMode(run: Run, mode: NodeMode): void {
  run.writeJson('node-mode.json', { mode: parseNodeMode(mode) });
}

/** The node mode a new group of `run` gets by default: KNMSTATE_NODE_MODE, else the run's, else networkmanager. */
export function defaultNodeMode(run?: Run): NodeMode {
  const env = process.env[NODE_MODE_ENV];
  if (env) return parseNodeMode(env, NODE_MODE_ENV);
  const recorded = run?.readJson<{ mode: string }>('node-mode.json')?.mode;
  return recorded ? parseNodeMode(recorded, `node mode recorded in ${run.path('node-mode.json')}`) : 'networkmanager';
}

/** One simulated node. */
export interface SimNode {
  /** Node name, `<group>-<i>`; also its hostname label and its DNS name under knmstate.test. */
  name: string;
  /** Its network namespace. */
  netns: string;
  index: number;
  zone: string;
  /** eth0's address (without prefix). */
  mgmtIp: string;
  mode: NodeMode;
  /**
   * NetworkManager mode only: `DBUS_SYSTEM_BUS_ADDRESS` of the node's private system bus, which
   * nmstatectl and nmcli need to reach its NetworkManager (see runNmInNode in ./networkmanager.ts).
   */
  dbusAddress?: string;
  /** NetworkManager mode: eth0 is NetworkManager's, from a keyfile profile (see {@link NodeGroupOptions.mgmtProfile}). */
  mgmtProfile?: boolean;
}

/** Options of {@link createNodeGroup}. */
export interface NodeGroupOptions {
  /** Group name: node names are `<name>-1` … Lowercase letters, digits and '-'. */
  name: string;
  count: number;
  /** Zones assigned round-robin. @default ['zone-a', 'zone-b', 'zone-c'] */
  zones?: string[];
  /** Extra labels for every Node object. */
  labels?: Record<string, string>;
  /** Admin kubeconfig: when given, a Ready `Node` object is created per node. */
  kubeconfig?: string;
  dnsmasqBin: string;
  /** @default {@link defaultNodeMode} (KNMSTATE_NODE_MODE, the run's default, else 'networkmanager') */
  mode?: NodeMode;
  /** NetworkManager mode: how long to wait for all NetworkManagers to be ready. @default 60 s + 0.5 s per node */
  readyTimeoutMs?: number;
  /**
   * NetworkManager mode: who configures the management NIC eth0. `false`: the harness, with `ip`, before
   * NetworkManager starts (NetworkManager shows it `connected (externally)` and keeps only a generated
   * in-memory profile: a node whose NIC NetworkManager did not manage before). `true`: NetworkManager,
   * from a keyfile profile `eth0.nmconnection` (same address, gateway; IPv6 link-local, EUI-64), as on
   * most real nodes. @default false
   */
  mgmtProfile?: boolean;
}

async function ipBatch(netns: string | undefined, lines: string[]): Promise<void> {
  const args = netns ? ['-n', netns, '-batch', '-'] : ['-batch', '-'];
  const r = await execa('ip', args, { input: lines.join('\n') + '\n', reject: false });
  if (r.exitCode !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr}`);
}

/** What a command run inside a node gives: exit code, stdout and stderr as strings (never rejects on failure). */
export type NodeCommandResult = Result<{ reject: false }>;

/** A group of simulated nodes sharing one fabric. */
export class NodeGroup {
  readonly name: string;
  readonly nodes: SimNode[];
  readonly fabricNetns: string;
  readonly mode: NodeMode;
  readonly #run: Run;
  readonly #kubeconfig: string | undefined;

  constructor(run: Run, name: string, nodes: SimNode[], fabricNetns: string, kubeconfig?: string, mode: NodeMode = 'kernel') {
    this.#run = run;
    this.name = name;
    this.nodes = nodes;
    this.fabricNetns = fabricNetns;
    this.#kubeconfig = kubeconfig;
    this.mode = mode;
  }

  /** The lease key of this group's inotify raise (NetworkManager mode). */
  get #leaseKey(): string {
    return `group-${this.name}`;
  }

  #nmNode(name: string): SimNode {
    const n = this.node(name);
    if (this.mode !== 'networkmanager') throw new Error(`node ${name} is in ${this.mode} mode: it has no NetworkManager`);
    return n;
  }

  /** NetworkManager mode: stops a node's NetworkManager (its bus and the kernel state stay), as if it crashed or the node were rebooting. */
  stopNetworkManager(name: string): Promise<void> {
    return stopNodeNetworkManager(this.#run, this.#nmNode(name));
  }

  /** NetworkManager mode: starts a stopped node's NetworkManager and waits until it manages eth1/eth2. */
  startNetworkManager(name: string, opts?: StartNmOptions): Promise<void> {
    return startNodeNetworkManagers(this.#run, [this.#nmNode(name)], opts);
  }

  /** NetworkManager mode: restarts a node's NetworkManager (it restores its profiles from the keyfiles). */
  restartNetworkManager(name: string, opts?: StartNmOptions): Promise<void> {
    return restartNodeNetworkManager(this.#run, this.#nmNode(name), opts);
  }

  /** A node by name; throws for an unknown name. */
  node(name: string): SimNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no simulated node "${name}" in group ${this.name}`);
    return n;
  }

  /** Runs a command inside the fabric namespace (e.g. to cut a node's link). */
  inFabric(command: string, args: string[]): Promise<Result> {
    return execa('ip', ['netns', 'exec', this.fabricNetns, command, ...args], { reject: false });
  }

  /**
   * Removes the group's Node objects, NetworkManagers and buses (NetworkManager mode: their mounts go
   * with their mount namespaces), dnsmasq, namespaces, resolver files and folders, and ends the
   * group's inotify lease.
   */
  async teardown(): Promise<void> {
    if (this.#kubeconfig) {
      const api = coreApi(this.#kubeconfig);
      await Promise.all(this.nodes.map((n) => api.deleteNode({ name: n.name }).catch(() => undefined)));
    }
    if (this.mode === 'networkmanager') await teardownNodeNetworkManagers(this.#run, this.nodes);
    await this.#run.stopProc(`dnsmasq-${this.name}`);
    deleteNetns([this.fabricNetns, ...this.nodes.map((n) => n.netns)]);
    for (const ns of [this.fabricNetns, ...this.nodes.map((n) => n.netns)]) rmSync(this.#run.path('netns', ns), { force: true });
    rmSync(this.#run.path(`dnsmasq-${this.name}.leases`), { force: true });
    if (this.mode === 'networkmanager') await releaseInotifyLease(this.#run, this.#leaseKey);
  }
}

function coreApi(kubeconfig: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc.makeApiClient(CoreV1Api);
}

/**
 * Runs a command inside a simulated node's network namespace (`ip netns exec`). Refuses anything that
 * is not a harness namespace, so a missing node can never fall through to the host's network.
 */
export function runInNode(node: Pick<SimNode, 'netns'> | undefined, command: string, args: string[] = []): Promise<NodeCommandResult> {
  const ns = node?.netns;
  if (!ns || !ns.startsWith(NETNS_PREFIX) || ns.length <= NETNS_PREFIX.length) {
    throw new Error(`runInNode: refusing to run "${command}" without a simulated node (netns=${JSON.stringify(ns)})`);
  }
  if (!command) throw new Error('runInNode: empty command');
  return execa('ip', ['netns', 'exec', ns, command, ...args], { reject: false });
}

/** Creates a group of simulated nodes with its fabric, DNS and (optionally) Node objects. */
export async function createNodeGroup(run: Run, opts: NodeGroupOptions): Promise<NodeGroup> {
  if (!/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(opts.name)) {
    throw new Error(`node group name "${opts.name}" must be 1-32 lowercase letters, digits or '-'`);
  }
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > MAX_NODES_PER_GROUP) {
    throw new Error(`node group count must be 1..${MAX_NODES_PER_GROUP}, got ${opts.count}`);
  }
  const zones = opts.zones ?? ['zone-a', 'zone-b', 'zone-c'];
  const mode = opts.mode ?? defaultNodeMode(run);
  parseNodeMode(mode, 'NodeGroupOptions.mode');
  const nm = mode === 'networkmanager';
  if (opts.mgmtProfile && !nm) throw new Error(`node group ${opts.name}: mgmtProfile needs networkmanager mode (got ${mode})`);
  const fabric = run.netnsName(`${opts.name}-fabric`);
  const nodes: SimNode[] = Array.from({ length: opts.count }, (_, k) => {
    const index = k + 1;
    const name = `${opts.name}-${index}`;
    const node: SimNode = { name, index, netns: run.netnsName(name), zone: zones[k % zones.length]!, mgmtIp: `198.51.100.${10 + index}`, mode };
    if (nm) node.dbusAddress = nodeBusAddress(run, name);
    if (opts.mgmtProfile) node.mgmtProfile = true;
    return node;
  });
  const group = new NodeGroup(run, opts.name, nodes, fabric, opts.kubeconfig, mode);

  try {
    await ipBatch(undefined, [fabric, ...nodes.map((n) => n.netns)].map((ns) => `netns add ${ns}`));
    // Resolver files before anything touches DNS in a node (nmstatectl writes resolv.conf through them).
    // The fabric gets one too, so its own lookups never reach the host's resolver.
    mkdirSync(`/etc/netns/${fabric}`, { recursive: true });
    writeFileSync(`/etc/netns/${fabric}/resolv.conf`, `nameserver ${MGMT_GATEWAY}\n`);
    for (const n of nodes) {
      mkdirSync(`/etc/netns/${n.netns}`, { recursive: true });
      writeFileSync(`/etc/netns/${n.netns}/resolv.conf`, `# knmstate simulated node ${n.name}\nsearch ${DNS_ZONE}\nnameserver ${MGMT_GATEWAY}\n`);
      writeFileSync(`/etc/netns/${n.netns}/hostname`, `${n.name}\n`);
    }
    const fab = [
      'link set lo up',
      'link add br-mgmt type bridge',
      `addr add ${MGMT_GATEWAY}/24 dev br-mgmt`,
      'link set br-mgmt up',
      'link add br-data type bridge',
      `addr add ${DATA_GATEWAY}/24 dev br-data`,
      'link set br-data up',
    ];
    for (const n of nodes) {
      fab.push(
        `link add m${n.index} type veth peer name eth0 netns ${n.netns}`,
        `link set m${n.index} master br-mgmt up`,
        `link add a${n.index} type veth peer name eth1 netns ${n.netns}`,
        `link set a${n.index} master br-data up`,
        `link add b${n.index} type veth peer name eth2 netns ${n.netns}`,
        `link set b${n.index} master br-data up`,
      );
    }
    await ipBatch(fabric, fab);
    await Promise.all(
      nodes.map((n) =>
        ipBatch(n.netns, [
          'link set lo up',
          // With a management profile NetworkManager configures eth0 from its keyfile.
          ...(n.mgmtProfile ? [] : [`addr add ${n.mgmtIp}/24 dev eth0`]),
          'link set eth0 up',
          ...(n.mgmtProfile ? [] : [`route add default via ${MGMT_GATEWAY} dev eth0`]),
          // NetworkManager mode: the spare NICs stay down and unconfigured; NetworkManager manages them.
          ...(nm ? [] : ['link set eth1 up', 'link set eth2 up']),
        ]),
      ),
    );
    await startDns(run, opts.name, fabric, nodes, opts.dnsmasqBin, nm);
    if (nm) {
      for (const n of nodes) if (n.mgmtProfile) writeMgmtProfile(run, n, MGMT_GATEWAY);
      await acquireInotifyLease(run, `group-${opts.name}`, nodes.length);
      await startNodeNetworkManagers(run, nodes, { timeoutMs: opts.readyTimeoutMs ?? 60_000 + 500 * nodes.length });
    }
    if (opts.kubeconfig) await createNodeObjects(run, opts, nodes);
  } catch (err) {
    await group.teardown().catch(() => undefined);
    throw err;
  }
  return group;
}

async function startDns(run: Run, group: string, fabric: string, nodes: SimNode[], dnsmasqBin: string, dhcp: boolean): Promise<void> {
  const records = [`--host-record=gateway.${DNS_ZONE},${MGMT_GATEWAY}`, ...nodes.map((n) => `--host-record=${n.name}.${DNS_ZONE},${n.mgmtIp}`)];
  // NetworkManager mode: DHCP for the spare NICs on br-data (the upstream dhcp example, for real).
  const dhcpArgs = dhcp
    ? [
        `--listen-address=${DATA_GATEWAY}`,
        `--dhcp-range=${DATA_DHCP_RANGE[0]},${DATA_DHCP_RANGE[1]},255.255.255.0,1h`,
        `--dhcp-leasefile=${run.path(`dnsmasq-${group}.leases`)}`,
        '--log-dhcp',
      ]
    : [];
  const rec = startProcess({
    name: `dnsmasq-${group}`,
    command: 'ip',
    args: [
      'netns', 'exec', fabric, dnsmasqBin,
      '--keep-in-foreground', '--conf-file=/dev/null', '--user=root', '--pid-file',
      '--no-resolv', '--no-hosts', '--bind-interfaces', `--listen-address=${MGMT_GATEWAY}`,
      `--local=/${DNS_ZONE}/`, '--log-facility=-',
      ...dhcpArgs,
      ...records,
    ],
    log: run.path(`dnsmasq-${group}.log`),
  });
  run.recordProc(rec);
  // Ready when it answers: ask it from inside the fabric for the gateway's own name.
  await eventually(
    () => {
      if (!isAlive(rec)) throw new GiveUp(`dnsmasq exited:\n${tailLog(rec.log)}`);
      const out = execFileSync('ip', ['netns', 'exec', fabric, 'getent', 'ahostsv4', `gateway.${DNS_ZONE}`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env },
      });
      return out.includes(MGMT_GATEWAY);
    },
    { timeoutMs: 10_000, intervalMs: 50, what: `dnsmasq of group ${group}` },
  );
}

async function createNodeObjects(run: Run, opts: NodeGroupOptions, nodes: SimNode[]): Promise<void> {
  const api = coreApi(opts.kubeconfig!);
  const now = new Date();
  await Promise.all(
    nodes.map(async (n) => {
      const body: V1Node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: n.name,
          labels: {
            'kubernetes.io/hostname': n.name,
            'kubernetes.io/os': 'linux',
            'topology.kubernetes.io/zone': n.zone,
            'node-role.kubernetes.io/worker': '',
            [SIMULATED_LABEL]: 'true',
            'knmstate.io/run': run.id,
            'knmstate.io/group': opts.name,
            [NODE_MODE_LABEL]: n.mode,
            ...opts.labels,
          },
          annotations: { [NETNS_ANNOTATION]: n.netns, ...(n.dbusAddress ? { [DBUS_ADDRESS_ANNOTATION]: n.dbusAddress } : {}) },
        },
      };
      const created = await api.createNode({ body });
      created.status = {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'simulated node is ready', lastHeartbeatTime: now, lastTransitionTime: now },
        ],
        addresses: [
          { type: 'InternalIP', address: n.mgmtIp },
          { type: 'Hostname', address: n.name },
        ],
      };
      await api.replaceNodeStatus({ name: n.name, body: created });
    }),
  );
}
