/**
 * NetworkManager node mode: a real NetworkManager inside every simulated node, on the node's own
 * private D-Bus system bus, so that nmstatectl runs its production path (checkpoints, commit,
 * rollback, NetworkManager's auto-rollback, DHCP). This file implements the recipe; why it is built
 * this way is below.
 *
 * Per node, in `<run>/nm/<node>/`:
 *   dbus/bus.conf, dbus/bus   a system bus (no activation, root may own NetworkManager's name)
 *   etc/                      NetworkManager sees it as /etc/NetworkManager (config, keyfiles)
 *   lib/, run/                its /var/lib/NetworkManager and /run/NetworkManager
 *   resolv.conf               empty; NetworkManager's /etc/resolv.conf (it never writes it: dns=none)
 *
 * The management NIC: by default eth0 is configured with `ip` before NetworkManager starts, so
 * NetworkManager shows it `connected (externally)` with an in-memory generated profile (a node whose
 * NIC NetworkManager does not manage). With `mgmtProfile` (a real node's usual set-up) eth0 gets a
 * keyfile profile `eth0.nmconnection` instead and NetworkManager configures and activates it.
 *   dbus.log, nm.log          the two processes' output
 *
 * NetworkManager runs in the node's network namespace and in a private mount namespace where /run is a
 * fresh tmpfs (no /run/udev, nothing of the host's /run), the directories above are bound over its
 * own, and /sys is read-only *per mount* with a writable bind of /sys/devices/virtual/net. Both halves
 * matter: a read-only /sys is what makes NetworkManager stop waiting for udev (there is none here;
 * without it every device stays `unmanaged`), and the writable virtual-netdev subtree is what lets it
 * write bridge-port options (brport/priority, path_cost, hairpin). A superblock-wide `remount,ro`
 * would break both that and every other user of the namespace's sysfs.
 *
 * The mounts live and die with NetworkManager's mount namespace: nothing is mounted in the host's,
 * and ending the process (teardown, reaper, sweep: every process is recorded in the run folder)
 * removes them. A guard in the launch script refuses to start NetworkManager in the launching
 * process's own network namespace or in a namespace other than the node's.
 *
 * inotify: every NetworkManager and every dbus-daemon takes one inotify instance, counted per user
 * (all root here) against fs.inotify.max_user_instances (128 by default). At ~64 nodes that limit is
 * gone and every other root process on the machine fails `inotify_init` (EMFILE). Remedy chosen: raise
 * the limit by exactly what the running NetworkManager nodes take (2 per node) for as long as they run,
 * and restore the original value when the last of them is gone. Why this one: the instances are taken
 * by glib/dbus internals (firmware and config directory monitors) that have no switch to turn them off,
 * running the buses as another user only halves the count and still caps the node count, and a
 * lasting host-global raise would be a change nobody asked for. The raise is a host-wide lease: one
 * lease file per node group under /tmp/knmstate/inotify-leases (runs of several engineers share the
 * machine), the kernel value is recomputed from the live leases under a lock, and a lease whose run
 * folder is gone (torn down, or swept after a crash) no longer counts. Run teardown re-syncs, so a
 * crashed run's raise ends when the reaper or the next start's sweep removes that run.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Run } from './run.ts';
import type { NodeCommandResult, SimNode } from './nodes.ts';
import { isAlive, procStartTime, tailLog, type ProcRecord } from './proc.ts';
import { eventually, GiveUp } from './wait.ts';

/** The binaries NetworkManager mode needs. */
export interface NetworkManagerTools {
  networkManager: string;
  nmcli: string;
  dbusDaemon: string;
  busctl: string;
}

const toolsScript = fileURLToPath(new URL('../tools.sh', import.meta.url));
let cachedTools: NetworkManagerTools | undefined;

function which(cmd: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

/**
 * Paths of NetworkManager, nmcli, dbus-daemon and busctl; installs network-manager through
 * `hack/tools.sh networkmanager` the first time (it refuses where that would be unsafe and says why).
 * `KNMSTATE_NETWORKMANAGER` overrides the NetworkManager binary.
 */
export function networkManagerTools(): NetworkManagerTools {
  if (cachedTools) return cachedTools;
  let networkManager = process.env.KNMSTATE_NETWORKMANAGER;
  if (!networkManager) {
    const out = execFileSync(toolsScript, ['--env', 'networkmanager'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    networkManager = /^KNMSTATE_NETWORKMANAGER=(.+)$/m.exec(out)?.[1];
    if (!networkManager) throw new Error('hack/tools.sh did not report NETWORKMANAGER');
  }
  const need = (cmd: string): string => {
    const p = which(cmd);
    if (!p) throw new Error(`NetworkManager node mode needs ${cmd}, which is not installed (hack/tools.sh networkmanager installs it)`);
    return p;
  };
  cachedTools = { networkManager, nmcli: need('nmcli'), dbusDaemon: need('dbus-daemon'), busctl: need('busctl') };
  return cachedTools;
}

// ---------------------------------------------------------------------------------------------------
// Configuration files

/** NetworkManager.conf of every node: keyfiles only, no DNS/hostname management, no auto profiles. */
export const NETWORKMANAGER_CONF = `# knmstate simulated node (hack/cluster/networkmanager.ts)
[main]
plugins=keyfile
no-auto-default=*
dns=none
rc-manager=unmanaged
hostname-mode=none
auth-polkit=false
dhcp=internal

[logging]
level=INFO

[keyfile]
path=/etc/NetworkManager/system-connections
`;

/**
 * A private system bus: runs as root, no fork, no service activation (so nm-dispatcher and
 * nm-priv-helper never start), the trimmed default policy of /usr/share/dbus-1/system.conf, and the
 * packaged policies (which let root own org.freedesktop.NetworkManager).
 */
export function busConfig(socketPath: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path=${socketPath}</listen>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <includedir>/usr/share/dbus-1/system.d</includedir>
</busconfig>
`;
}

/** Longest path a unix socket can have (sun_path is 108 bytes with the NUL). */
const MAX_SOCKET_PATH = 107;

/** Where a node's NetworkManager files live. */
export function nodeNmDir(run: Run, nodeName: string): string {
  return run.path('nm', nodeName);
}

/**
 * The keyfile profile of a node's management NIC when NetworkManager manages it (the `mgmtProfile`
 * option): eth0 with its static address and the fabric's gateway, IPv6 link-local only with EUI-64
 * addresses. Written as NetworkManager itself writes a profile (key order, defaults left out, the
 * empty `[proxy]` group), as `nmcli` or an installer using NetworkManager would leave it: NetworkManager
 * rewrites a profile in that form whenever it saves it (a checkpoint rollback does), so a hand-written
 * layout would differ in text, not in settings, after a rollback (docs/restore.md).
 */
export function mgmtProfileKeyfile(mgmtIp: string, gateway: string, uuid: string): string {
  return `[connection]
id=eth0
uuid=${uuid}
type=ethernet
interface-name=eth0

[ethernet]

[ipv4]
address1=${mgmtIp}/24,${gateway}
method=manual

[ipv6]
addr-gen-mode=eui64
method=link-local

[proxy]
`;
}

/** Writes the management NIC's keyfile into a node's NetworkManager folder (root-only, as NetworkManager requires). */
export function writeMgmtProfile(run: Run, node: Pick<SimNode, 'name' | 'mgmtIp'>, gateway: string): void {
  const dir = join(nodeNmDir(run, node.name), 'etc', 'system-connections');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'eth0.nmconnection'), mgmtProfileKeyfile(node.mgmtIp, gateway, randomUUID()), { mode: 0o600 });
}

/** D-Bus address of a node's private system bus, as `DBUS_SYSTEM_BUS_ADDRESS` wants it. */
export function nodeBusAddress(run: Run, nodeName: string): string {
  return `unix:path=${join(nodeNmDir(run, nodeName), 'dbus', 'bus')}`;
}

/** Names under which a node's processes are recorded in the run folder. */
export function nmProcNames(nodeName: string): { bus: string; nm: string } {
  return { bus: `nmbus-${nodeName}`, nm: `nm-${nodeName}` };
}

/** Creates the node's directories and configuration (idempotent: keyfiles survive a restart). */
function prepareNodeDir(dir: string): void {
  if (dir.startsWith('/run/') || dir === '/run') {
    // NetworkManager gets a private tmpfs on /run: a node folder there would vanish from its view.
    throw new Error(`NetworkManager node folder ${dir} must not be under /run (set KNMSTATE_RUN_ROOT elsewhere)`);
  }
  const socket = join(dir, 'dbus', 'bus');
  if (socket.length > MAX_SOCKET_PATH) {
    throw new Error(`D-Bus socket path ${socket} is ${socket.length} bytes; a unix socket path may have at most ${MAX_SOCKET_PATH} (use a shorter KNMSTATE_RUN_ROOT or group name)`);
  }
  for (const sub of ['etc/conf.d', 'etc/system-connections', 'run', 'dbus']) mkdirSync(join(dir, sub), { recursive: true });
  mkdirSync(join(dir, 'lib'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'etc', 'NetworkManager.conf'), NETWORKMANAGER_CONF);
  writeFileSync(join(dir, 'dbus', 'bus.conf'), busConfig(socket));
  if (!existsSync(join(dir, 'resolv.conf'))) writeFileSync(join(dir, 'resolv.conf'), '');
}

// ---------------------------------------------------------------------------------------------------
// The guard and the launch script

/**
 * The launching process's own network namespace (`net:[inode]`). /proc/1/ns cannot be read on these
 * machines, so "the host's namespace" is taken to be the one the harness itself runs in.
 */
export function ownNetns(): string {
  return readlinkSync('/proc/self/ns/net');
}

/** Exit codes of {@link NM_LAUNCH_SCRIPT}'s guard. */
export const GUARD_HOST_NETNS = 99;
export const GUARD_NETNS_MISMATCH = 98;

/**
 * Runs (as `sh -c`) after `ip netns exec <ns> unshare --mount --uts --propagation private`, with
 * arguments: node netns, node folder, launcher's netns, hostname, then the command to exec. Refuses
 * unless it runs in a namespace other than the launcher's and `ip netns identify` names the node's;
 * then sets the node's hostname (private UTS namespace), builds NetworkManager's private view of /run,
 * its directories and /sys, and execs the command (so its PID is the recorded one).
 */
export const NM_LAUNCH_SCRIPT = `set -eu
NS=$1; D=$2; LAUNCHER=$3; NAME=$4; shift 4
if [ -z "$LAUNCHER" ] || [ "$(readlink /proc/self/ns/net)" = "$LAUNCHER" ]; then
  echo "REFUSE: would start in the launching process's (host) network namespace $LAUNCHER" >&2; exit ${GUARD_HOST_NETNS}
fi
GOT=$(ip netns identify $$)
if [ "$GOT" != "$NS" ]; then
  echo "REFUSE: running in network namespace '$GOT', not the node's '$NS'" >&2; exit ${GUARD_NETNS_MISMATCH}
fi
printf '%s' "$NAME" > /proc/sys/kernel/hostname
mount -t tmpfs -o mode=755 knmstate-run /run
mkdir -p /run/NetworkManager
mount --bind "$D/run" /run/NetworkManager
mount --bind "$D/etc" /etc/NetworkManager
mount --bind "$D/lib" /var/lib/NetworkManager
mount --bind "$D/resolv.conf" /etc/resolv.conf
mount --bind /sys/devices/virtual/net /sys/devices/virtual/net
mount -o remount,bind,ro /sys
exec "$@"
`;

function assertHarnessNode(node: Pick<SimNode, 'netns' | 'name'> | undefined): asserts node is Pick<SimNode, 'netns' | 'name'> {
  // Same rule as runInNode: a harness namespace by prefix, never the host's (which has no name).
  if (!node?.netns || !/^knm-[a-z0-9]+-./.test(node.netns)) {
    throw new Error(`NetworkManager: refusing to act on something that is not a simulated node (netns=${JSON.stringify(node?.netns)})`);
  }
}

/** The argument vector that starts `command` through the guard inside a node (exported for the guard's tests). */
export function guardedLaunchArgs(netns: string, dir: string, launcherNetns: string, hostname: string, command: string[]): string[] {
  return ['netns', 'exec', netns, 'unshare', '--mount', '--uts', '--propagation', 'private', '--', '/bin/sh', '-c', NM_LAUNCH_SCRIPT, 'knmstate-nm', netns, dir, launcherNetns, hostname, ...command];
}

// ---------------------------------------------------------------------------------------------------
// Start, stop, restart

/** One process for {@link startProcessBatch}. */
interface BatchSpec {
  name: string;
  command: string;
  args: string[];
  log: string;
  env?: Record<string, string>;
}

const shQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Starts many long-running processes at once, each in its own session with its output appended to its
 * log, like proc.ts's startProcess. One shell forks them all: spawning each from this (large) process
 * waits for every child to exec, which costs ~50 ms per process on a loaded 2-core machine and was
 * most of the start-up time of 100 nodes. Returns one record per spec, in order.
 */
function startProcessBatch(specs: BatchSpec[]): ProcRecord[] {
  if (!specs.length) return [];
  const lines = specs.map((p) => {
    const env = Object.entries(p.env ?? {}).map(([k, v]) => `${k}=${shQuote(v)} `).join('');
    return `${env}setsid ${[p.command, ...p.args].map(shQuote).join(' ')} >>${shQuote(p.log)} 2>&1 </dev/null & echo $!`;
  });
  const out = execFileSync('/bin/sh', ['-c', lines.join('\n')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const pids = out.trim().split('\n').map(Number);
  if (pids.length !== specs.length) throw new Error(`started ${pids.length} of ${specs.length} processes: ${out}`);
  return specs.map((p, i) => {
    const pid = pids[i]!;
    const startTime = procStartTime(pid);
    if (startTime === undefined) throw new Error(`${p.name} exited at once:\n${tailLog(p.log)}`);
    return { name: p.name, pid, startTime, log: p.log };
  });
}

/** Options of {@link startNodeNetworkManagers}. */
export interface StartNmOptions {
  /** Give up when a node is not ready after this long. @default 60_000 */
  timeoutMs?: number;
}

/**
 * Starts the private bus (unless running) and NetworkManager of each node and waits until every
 * NetworkManager owns its name on its bus and manages eth1 and eth2 ({@link NM_READY_LOG_LINES}). Each process is recorded in the run
 * folder as soon as it is spawned. Does not take the inotify lease (see {@link acquireInotifyLease}).
 */
export async function startNodeNetworkManagers(run: Run, nodes: SimNode[], opts: StartNmOptions = {}): Promise<void> {
  const t = networkManagerTools();
  const launcher = ownNetns();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  for (const n of nodes) assertHarnessNode(n);

  // Buses first (NetworkManager needs its bus at start), all at once; then NetworkManagers.
  const buses: { node: SimNode; dir: string; rec?: ProcRecord }[] = nodes.map((n) => {
    const dir = nodeNmDir(run, n.name);
    prepareNodeDir(dir);
    const existing = recordedProc(run, nmProcNames(n.name).bus);
    if (existing && isAlive(existing)) return { node: n, dir, rec: existing };
    rmSync(join(dir, 'dbus', 'bus'), { force: true });
    return { node: n, dir };
  });
  const toStart = buses.filter((b) => !b.rec);
  const busRecs = startProcessBatch(
    toStart.map(({ node, dir }) => ({
      name: nmProcNames(node.name).bus,
      command: 'ip',
      args: ['netns', 'exec', node.netns, t.dbusDaemon, `--config-file=${join(dir, 'dbus', 'bus.conf')}`, '--nofork', '--nopidfile'],
      log: join(dir, 'dbus.log'),
    })),
  );
  toStart.forEach((b, i) => {
    b.rec = busRecs[i]!;
    run.recordProc(b.rec);
  });
  await Promise.all(
    buses.map(({ node, rec, dir }) =>
      eventually(
        () => {
          if (!isAlive(rec!)) throw new GiveUp(`dbus-daemon of ${node.name} exited:\n${tailLog(rec!.log)}`);
          return existsSync(join(dir, 'dbus', 'bus'));
        },
        { timeoutMs, intervalMs: 20, what: `the D-Bus socket of ${node.name}` },
      ),
    ),
  );

  const started = buses.map(({ node, dir }) => {
    const existing = recordedProc(run, nmProcNames(node.name).nm);
    if (existing && isAlive(existing)) throw new Error(`NetworkManager of ${node.name} is already running (pid ${existing.pid})`);
    const log = join(dir, 'nm.log');
    // A restart appends to the log: readiness is judged from what this start writes.
    return { node, dir, log, logOffset: existsSync(log) ? readFileSync(log).length : 0 };
  });
  const nmRecs = startProcessBatch(
    started.map(({ node, dir, log }) => ({
      name: nmProcNames(node.name).nm,
      command: 'ip',
      args: guardedLaunchArgs(node.netns, dir, launcher, node.name, [t.networkManager, '--debug']),
      log,
      env: { DBUS_SYSTEM_BUS_ADDRESS: nodeBusAddress(run, node.name) },
    })),
  );
  nmRecs.forEach((rec) => run.recordProc(rec));
  await Promise.all(started.map((s, i) => waitReady(s.node, nmRecs[i]!, s.log, s.logOffset, timeoutMs)));
}

function recordedProc(run: Run, name: string): ProcRecord | undefined {
  const file = run.path('procs', `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ProcRecord) : undefined;
}

function logSince(path: string, offset: number): string {
  try {
    return readFileSync(path).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

/**
 * What NetworkManager logs (at INFO) on its way to ready: it owns its name on the node's bus, manages
 * both spare NICs (without the read-only /sys they would stay unmanaged for good), and has finished
 * starting. Reading the log costs nothing; asking each node with nmcli cost ~25 ms of CPU per node,
 * a quarter of the start-up of 100 nodes. The tests check the same through nmcli.
 */
export const NM_READY_LOG_LINES = [
  'bus-manager: acquired D-Bus service "org.freedesktop.NetworkManager"',
  // Reason 'managed' on a fresh node, 'connection-assumed' when a keyfile profile matches after a restart.
  'device (eth1): state change: unmanaged -> ',
  'device (eth2): state change: unmanaged -> ',
  'manager: startup complete',
] as const;

/** With a management profile, NetworkManager has also activated eth0 (a fresh activation, or one it assumes after a restart). */
const MGMT_ACTIVATED = /device \(eth0\): state change: \S+ -> activated/;

async function waitReady(node: SimNode, rec: ProcRecord, log: string, offset: number, timeoutMs: number): Promise<void> {
  await eventually(
    () => {
      const text = logSince(log, offset);
      if (!isAlive(rec)) throw new GiveUp(`NetworkManager of ${node.name} exited:\n${text.trimEnd().split('\n').slice(-15).join('\n')}`);
      const missing: string[] = NM_READY_LOG_LINES.filter((l) => !text.includes(l));
      if (node.mgmtProfile && !MGMT_ACTIVATED.test(text)) missing.push(MGMT_ACTIVATED.source);
      if (missing.length) throw new Error(`its log (${log}) lacks ${missing.map((m) => JSON.stringify(m)).join(', ')}`);
      return true;
    },
    { timeoutMs, intervalMs: 25, what: `NetworkManager of ${node.name} to be ready` },
  );
  // Belt and braces on top of the launch guard: the recorded process is in the node's namespace.
  const nsOfNm = readlinkSync(`/proc/${rec.pid}/ns/net`);
  if (nsOfNm === ownNetns()) throw new Error(`NetworkManager of ${node.name} (pid ${rec.pid}) runs in the harness's own network namespace`);
}

/** Stops a node's NetworkManager (SIGTERM; it leaves the applied state in the kernel) and, with `bus`, its bus. */
export async function stopNodeNetworkManager(run: Run, node: Pick<SimNode, 'name' | 'netns'>, opts: { bus?: boolean } = {}): Promise<void> {
  assertHarnessNode(node);
  const names = nmProcNames(node.name);
  await run.stopProc(names.nm);
  if (opts.bus) await run.stopProc(names.bus);
}

/** Stops and starts a node's NetworkManager (the bus stays), e.g. to show that keyfiles restore a state. */
export async function restartNodeNetworkManager(run: Run, node: SimNode, opts: StartNmOptions = {}): Promise<void> {
  await stopNodeNetworkManager(run, node);
  await startNodeNetworkManagers(run, [node], opts);
}

/** Stops the NetworkManagers, then the buses, of these nodes, in parallel, and removes their folders. */
export async function teardownNodeNetworkManagers(run: Run, nodes: Pick<SimNode, 'name'>[]): Promise<void> {
  await Promise.all(nodes.map((n) => run.stopProc(nmProcNames(n.name).nm)));
  await Promise.all(nodes.map((n) => run.stopProc(nmProcNames(n.name).bus)));
  for (const n of nodes) rmSync(nodeNmDir(run, n.name), { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------
// Clients

/** The environment a NetworkManager client (nmstatectl, nmcli) needs to reach this node's NetworkManager. */
export function nmEnv(node: Pick<SimNode, 'name' | 'dbusAddress'>): { DBUS_SYSTEM_BUS_ADDRESS: string } {
  if (!node.dbusAddress) throw new Error(`node ${node.name} is not in networkmanager mode (it has no D-Bus address)`);
  return { DBUS_SYSTEM_BUS_ADDRESS: node.dbusAddress };
}

/** Options of {@link runNmInNode}. */
export interface RunNmOptions {
  /** Standard input (e.g. a state for `nmstatectl apply`). */
  input?: string;
  /** Kill the command after this long. */
  timeoutMs?: number;
}

/**
 * Runs a command inside a NetworkManager-mode node (`ip netns exec`) with `DBUS_SYSTEM_BUS_ADDRESS`
 * set to the node's bus: `runNmInNode(node, nmstatectl, ['apply', '--no-commit', '--timeout', '30'],
 * { input: yaml })`. Never rejects on a non-zero exit; look at `exitCode`/`stderr`.
 */
export function runNmInNode(node: Pick<SimNode, 'name' | 'netns' | 'dbusAddress'> | undefined, command: string, args: string[] = [], opts: RunNmOptions = {}): Promise<NodeCommandResult> {
  assertHarnessNode(node);
  if (!command) throw new Error('runNmInNode: empty command');
  return execa('ip', ['netns', 'exec', node.netns, command, ...args], {
    env: nmEnv(node),
    reject: false,
    input: opts.input ?? '',
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
  });
}

/** Object paths of NetworkManager's active checkpoints on a node (empty when none is pending). */
export async function activeCheckpoints(node: Pick<SimNode, 'name' | 'netns' | 'dbusAddress'>): Promise<string[]> {
  const { busctl } = networkManagerTools();
  const { DBUS_SYSTEM_BUS_ADDRESS: address } = nmEnv(node);
  const r = await execa(busctl, [`--address=${address}`, 'get-property', 'org.freedesktop.NetworkManager', '/org/freedesktop/NetworkManager', 'org.freedesktop.NetworkManager', 'Checkpoints'], {
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(`busctl Checkpoints of ${node.name}: ${r.stderr}`);
  // Output: `ao 1 "/org/freedesktop/NetworkManager/Checkpoint/3"`
  return [...r.stdout.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

/** Proportional and resident memory (KiB) of a node's NetworkManager and bus, from smaps_rollup. */
export function nodeNmMemory(run: Run, nodeName: string): { nmPssKiB: number; busPssKiB: number; nmRssKiB: number; busRssKiB: number } {
  const read = (name: string): { pss: number; rss: number } => {
    const rec = recordedProc(run, name);
    if (!rec || !isAlive(rec)) return { pss: 0, rss: 0 };
    const text = readFileSync(`/proc/${rec.pid}/smaps_rollup`, 'utf8');
    const field = (f: string): number => Number(new RegExp(`^${f}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { pss: field('Pss'), rss: field('Rss') };
  };
  const names = nmProcNames(nodeName);
  const nm = read(names.nm);
  const bus = read(names.bus);
  return { nmPssKiB: nm.pss, busPssKiB: bus.pss, nmRssKiB: nm.rss, busRssKiB: bus.rss };
}

// ---------------------------------------------------------------------------------------------------
// inotify instances: a host-wide lease (see the file comment)

/** The sysctl this lease raises. */
export const INOTIFY_INSTANCES_SYSCTL = '/proc/sys/fs/inotify/max_user_instances';
/** inotify instances one NetworkManager node takes: NetworkManager's and dbus-daemon's. */
export const INOTIFY_INSTANCES_PER_NODE = 2;
/** Host-wide folder of the leases (not under a run root: every run on the machine shares the limit). */
export const INOTIFY_LEASE_DIR = '/tmp/knmstate/inotify-leases';

interface InotifyLease {
  runDir: string;
  instances: number;
}

async function withLeaseLock<T>(fn: () => T): Promise<T> {
  mkdirSync(INOTIFY_LEASE_DIR, { recursive: true });
  const lock = join(INOTIFY_LEASE_DIR, '.lock');
  const me = `${process.pid} ${procStartTime(process.pid) ?? ''}`;
  await eventually(
    () => {
      try {
        const fd = openSync(lock, 'wx');
        writeSync(fd, me);
        closeSync(fd);
        return true;
      } catch {
        // Held: by a live process (wait), or left by a dead one (break it).
        let holder: string[] = [];
        try {
          holder = readFileSync(lock, 'utf8').split(' ');
        } catch {
          /* released meanwhile */
        }
        const [pid, start] = holder;
        if (pid && start && !isAlive({ pid: Number(pid), startTime: start })) rmSync(lock, { force: true });
        return false;
      }
    },
    { timeoutMs: 20_000, intervalMs: 10, what: `the inotify lease lock ${lock}` },
  );
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function readInstances(): number {
  return Number(readFileSync(INOTIFY_INSTANCES_SYSCTL, 'utf8').trim());
}

/** Recomputes the limit from the live leases; restores the original value when none is left. Call under the lock. */
function syncLocked(): { value: number; original: number | undefined } {
  const originalFile = join(INOTIFY_LEASE_DIR, 'original');
  let total = 0;
  for (const f of readdirSync(INOTIFY_LEASE_DIR).filter((x) => x.endsWith('.lease'))) {
    const p = join(INOTIFY_LEASE_DIR, f);
    let lease: InotifyLease | undefined;
    try {
      lease = JSON.parse(readFileSync(p, 'utf8')) as InotifyLease;
    } catch {
      lease = undefined;
    }
    if (!lease || !existsSync(join(lease.runDir, 'run.json'))) {
      rmSync(p, { force: true });
      continue;
    }
    total += lease.instances;
  }
  const current = readInstances();
  let original = existsSync(originalFile) ? Number(readFileSync(originalFile, 'utf8').trim()) : undefined;
  if (total > 0) {
    if (original === undefined) {
      original = current;
      writeFileSync(originalFile, `${original}\n`);
    }
    const target = original + total;
    if (current !== target) writeFileSync(INOTIFY_INSTANCES_SYSCTL, `${target}\n`);
    return { value: target, original };
  }
  if (original !== undefined) {
    if (current !== original) writeFileSync(INOTIFY_INSTANCES_SYSCTL, `${original}\n`);
    rmSync(originalFile, { force: true });
  }
  return { value: original ?? current, original: undefined };
}

function leaseFile(run: Run, key: string): string {
  return join(INOTIFY_LEASE_DIR, `${run.id}.${key}.lease`);
}

/**
 * Raises fs.inotify.max_user_instances by what `nodes` NetworkManager nodes take, for as long as the
 * lease (run, key) exists; returns the new value. Several leases add up; the value before the first
 * one is restored when the last one goes.
 */
export async function acquireInotifyLease(run: Run, key: string, nodes: number): Promise<number> {
  return withLeaseLock(() => {
    const lease: InotifyLease = { runDir: run.dir, instances: nodes * INOTIFY_INSTANCES_PER_NODE };
    writeFileSync(leaseFile(run, key), JSON.stringify(lease));
    try {
      return syncLocked().value;
    } catch (err) {
      rmSync(leaseFile(run, key), { force: true });
      throw new Error(`could not raise ${INOTIFY_INSTANCES_SYSCTL} for ${nodes} NetworkManager nodes: ${(err as Error).message}`, { cause: err });
    }
  });
}

/** Ends the lease (run, key) and recomputes the limit. */
export async function releaseInotifyLease(run: Run, key: string): Promise<number> {
  return withLeaseLock(() => {
    rmSync(leaseFile(run, key), { force: true });
    return syncLocked().value;
  });
}

/**
 * Drops leases whose run folder is gone and recomputes the limit (restoring it when no lease is left).
 * Run teardown calls it after removing the run folder; it never throws.
 */
export async function syncInotifyLeases(): Promise<void> {
  if (!existsSync(INOTIFY_LEASE_DIR)) return;
  try {
    await withLeaseLock(() => syncLocked());
  } catch (err) {
    process.stderr.write(`[knmstate] could not re-sync ${INOTIFY_INSTANCES_SYSCTL}: ${(err as Error).message}\n`);
  }
}

/**
 * The lease book as it stands: the limit now, the value before knmstate raised it (undefined when
 * not raised) and the instances leased by live runs. Consistent when `value === original + leased`,
 * or when nothing is leased and `original` is undefined.
 */
export function inotifyLeaseState(): { value: number; original: number | undefined; leased: number } {
  const f = join(INOTIFY_LEASE_DIR, 'original');
  const original = existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : undefined;
  let leased = 0;
  if (existsSync(INOTIFY_LEASE_DIR)) {
    for (const l of readdirSync(INOTIFY_LEASE_DIR).filter((x) => x.endsWith('.lease'))) {
      try {
        const lease = JSON.parse(readFileSync(join(INOTIFY_LEASE_DIR, l), 'utf8')) as InotifyLease;
        if (existsSync(join(lease.runDir, 'run.json'))) leased += lease.instances;
      } catch {
        /* removed meanwhile */
      }
    }
  }
  return { value: readInstances(), original, leased };
}
