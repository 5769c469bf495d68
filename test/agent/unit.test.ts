/**
 * Unit tests of the node agent's pure logic: nmstatectl arguments and error classification, state
 * comparison and the restore state, the diff summary, the NodeNetworkState filter, the agent's
 * environment. No I/O (the real nmstatectl runs in the other files of this folder).
 */
import { describe, expect, it } from '@jest/globals';
import { applyArgs, commitArgs, policyArgs, rollbackArgs, showArgs, validateArgs } from '../../activities/nmstate/args.ts';
import { errorText, NmstateCommandError, parseNmstateError } from '../../activities/nmstate/errors.ts';
import { compareStates, diffSummary, fullScope, isEmptyState, lostLinkLocal, normalizeState, restoreState, scopeOf, withDefaultBridgeVlan } from '../../activities/node/state.ts';
import { defaultGateway, dnsServers, probeFailureMessage } from '../../activities/node/probes.ts';
import { checkpointTimeoutSeconds, NodeAgent } from '../../activities/node/agent.ts';
import { NON_RETRYABLE_NODE_ERRORS } from '../../activities/node/errors.ts';
import { interpretProbe } from '../../activities/node/kernel-support.ts';
import { linksToCreate } from '../../activities/node/link-kinds.ts';
import { filterNetworkState } from '../../activities/nns/filter.ts';
import { ConfigError, parseNodeAgentEnv } from '../../workers/node-agent-config.ts';
import { DEFAULT_PROBE_SETTINGS, mergeProbeSettings } from '../../crd/probes.ts';

const ll = (ip: string) => ({ ip, 'prefix-length': 64, protocol: 'kernel_ll' });
const v4 = (ip: string, p = 24) => ({ ip, 'prefix-length': p });
const eth = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: 'veth',
  state: 'up',
  'mac-address': '02:00:00:00:00:01',
  mtu: 1500,
  ipv4: { enabled: false },
  ipv6: { enabled: true, address: [ll(`fe80::${name.length}`)] },
  ethtool: { feature: { highdma: true } },
  ...extra,
});
const gwRoute = { destination: '0.0.0.0/0', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.1', 'table-id': 254 };
const base = () => ({
  'dns-resolver': { config: { server: ['198.51.100.1'], search: ['knmstate.test'] }, running: { server: ['198.51.100.1'], search: ['knmstate.test'] } },
  routes: { config: [gwRoute], running: [gwRoute] },
  interfaces: [eth('eth0', { ipv4: { enabled: true, address: [v4('198.51.100.11')] } }), eth('eth1'), eth('eth2'), { name: 'lo', type: 'loopback', state: 'up' }],
});

describe('nmstatectl arguments', () => {
  it('given kernel mode, should apply with -k from stdin and never ask for a checkpoint', () => {
    expect(applyArgs('kernel')).toEqual(['apply', '-q', '-k', '-']);
    expect(applyArgs('kernel', { noVerify: true })).toEqual(['apply', '-q', '-k', '--no-verify', '-']);
    expect(showArgs('kernel')).toEqual(['show', '-q', '--json', '-k']);
  });

  it('given NetworkManager mode, should apply without commit with the checkpoint timeout, and commit/rollback separately', () => {
    expect(applyArgs('networkmanager')).toEqual(['apply', '-q', '--no-commit', '--timeout', '480', '-']);
    expect(applyArgs('networkmanager', { checkpointTimeoutSeconds: 60 })).toEqual(['apply', '-q', '--no-commit', '--timeout', '60', '-']);
    expect(applyArgs('networkmanager', { noCommit: false })).toEqual(['apply', '-q', '-']);
    expect(showArgs('networkmanager')).toEqual(['show', '-q', '--json']);
    expect(commitArgs()).toEqual(['commit', '-q']);
    expect(rollbackArgs()).toEqual(['rollback', '-q']);
  });

  it('given a bad checkpoint timeout, should refuse it naming the field', () => {
    expect(() => applyArgs('networkmanager', { checkpointTimeoutSeconds: 0 })).toThrow(/checkpointTimeoutSeconds must be a positive integer/);
  });

  it('given captures to reuse, should pass the current state, the output file and the cache like upstream', () => {
    expect(policyArgs({ policy: 'p.json', current: 'c.json', capturedOut: 'o.json', capturedIn: 'i.json' })).toEqual(['policy', '-q', '--json', '-c', 'c.json', '-o', 'o.json', '-a', 'i.json', 'p.json']);
    expect(policyArgs({ policy: 'p.json', current: 'c.json', capturedOut: 'o.json' })).not.toContain('-a');
    expect(validateArgs('c.json')).toEqual(['validate', '-q', '-c', 'c.json', '-']);
  });
});

describe('nmstatectl error classification', () => {
  const cases: [string, number, string, string, string][] = [
    ['NmstateError: InvalidArgument: Ethernet interface eth9 does not exists', 1, 'apply', 'InvalidArgument', 'invalid-input'],
    ["NmstateError: VerificationError: Verification failure: br2.interface.state desire '\"up\"', current '\"down\"'", 1, 'apply', 'VerificationError', 'verification'],
    ['NmstateError: NotImplementedError: nispor apply does not support route table ID bigger than 255 yet, got 1000, ignoring', 1, 'apply', 'NotImplementedError', 'unsupported'],
    ['NmstateError: PluginFailure: Unknown error from nipsor plugin: Bug, Failed to create interface IfaceConf { name: "vx0" }: Received a netlink error message Operation not supported (os error 95)', 1, 'apply', 'PluginFailure', 'unsupported'],
    ['NmstateError: PluginFailure: Unknown error from nipsor plugin: netlink timeout', 1, 'apply', 'PluginFailure', 'backend'],
    ['NmstateError: Bug: CheckpointConflict: Another checkpoint exists, please wait its timeout or destroy it', 1, 'apply', 'Bug', 'checkpoint-conflict'],
    ['NmstateError: Bug: NotFound: Not active checkpoints', 1, 'rollback', 'Bug', 'no-checkpoint'],
    ['NmstateError: Bug: DbusConnectionError: Failed to connect to address `unix:path=/var/run/dbus/system_bus_socket`: No such file or directory (os error 2)', 1, 'show', 'Bug', 'nm-unavailable'],
    ['NmstateError: Bug: DbusConnectionError: org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.NetworkManager was not provided by any .service files', 1, 'apply', 'Bug', 'nm-unavailable'],
    ["NmstateError: Bug: Device(CreationFailed): eth1.10 failed to create resources: Failed to create VLAN interface 'eth1.10' for 'eth1.10': Operation not supported", 1, 'apply', 'Bug', 'unsupported'],
    ['NmstateError: Bug: Device(ActivationFailed): br1 failed to activate', 1, 'apply', 'Bug', 'backend'],
    ["NmstateError: InvalidArgument: Unsupported capture keyword 'dns-resolver'", 1, 'policy', 'InvalidArgument', 'capture'],
    ['Provide file is not valid NetworkState or NetworkPolicy: unknown field `interfacs`', 1, 'apply', 'ParseError', 'invalid-input'],
    ['invalid digit found in string', 65, 'apply', 'ParseError', 'invalid-input'],
  ];
  it.each(cases)('given "%s" (exit %d, %s), should read kind and class', (stderr, code, sub, kind, cls) => {
    const p = parseNmstateError(`[2026-11-29T08:04:31Z INFO  nmstatectl] Nmstate version: 2.2.62\n${stderr}\n`, code, sub);
    expect(p.kind).toBe(kind);
    expect(p.class).toBe(cls);
  });

  it('given a three-line PolicyError, should keep the expression and the caret with the message', () => {
    const stderr = 'NmstateError: PolicyError: Failed to find capture nope\n| {{ capture.nope.interfaces.0.name }}\n| ...........^\n';
    const p = parseNmstateError(stderr, 1, 'policy');
    expect(p).toMatchObject({ kind: 'PolicyError', class: 'capture' });
    expect(p.message).toContain('| ...........^');
    expect(errorText(`noise\n${stderr}`)).toMatch(/^NmstateError: PolicyError/);
  });

  it('given a killed command, should report a timeout whatever the output', () => {
    const e = new NmstateCommandError('apply', 143, '', 30_000, true);
    expect(e.parsed.class).toBe('timeout');
    expect(NodeAgent.failureType(e)).toBe('NmstateTimeout');
  });

  it('given each failure class, should map it to the activity failure type', () => {
    const t = (stderr: string, sub = 'apply') => NodeAgent.failureType(new NmstateCommandError(sub, 1, stderr, 1));
    expect(t('NmstateError: InvalidArgument: x')).toBe('InvalidDesiredState');
    expect(t('NmstateError: NotSupportedError: x')).toBe('UnsupportedDesiredState');
    expect(t('NmstateError: VerificationError: x')).toBe('VerificationFailed');
    expect(t('NmstateError: PolicyError: x', 'policy')).toBe('CaptureRenderFailed');
    expect(t('NmstateError: Bug: DbusConnectionError: x')).toBe('NetworkManagerUnavailable');
    expect(t('NmstateError: Bug: CheckpointConflict: Another checkpoint exists, please wait its timeout or destroy it')).toBe('CheckpointConflict');
    expect(t('NmstateError: Bug: NotFound: Not active checkpoints', 'commit')).toBe('CheckpointExpired');
    expect(t('NmstateError: Bug: Device(ActivationFailed): x')).toBe('NmstateFailed');
    expect(NodeAgent.failureType(new Error('journal full'))).toBe('NmstateFailed');
  });
});

describe('NetworkManager checkpoint timeout and typed NetworkManager failures', () => {
  it('given a probe timeout and a margin, should make T cover both (default margin 30 s) and refuse a bad margin naming it', () => {
    expect(checkpointTimeoutSeconds(120_000)).toBe(150);
    expect(checkpointTimeoutSeconds(3_000, 2)).toBe(5);
    expect(checkpointTimeoutSeconds(2_500, 1)).toBe(4);
    expect(() => checkpointTimeoutSeconds(3_000, 0)).toThrow(/checkpointMarginSeconds must be a positive integer/);
  });

  it("given NetworkManager's own failures, should type them as retryable (a restarted NetworkManager, an expired or foreign checkpoint pass)", () => {
    for (const t of ['NetworkManagerUnavailable', 'CheckpointConflict', 'CheckpointExpired']) expect(NON_RETRYABLE_NODE_ERRORS).not.toContain(t);
  });
});

describe('kernel link kinds (fail fast on what the kernel cannot create)', () => {
  const current = base();
  it('given new interfaces of kernel kinds, should list only those to be created, with the module that provides each', () => {
    const desired = {
      interfaces: [
        { name: 'eth1.10', type: 'vlan', state: 'up', vlan: { 'base-iface': 'eth1', id: 10 } },
        { name: 'bond0', type: 'bond' },
        { name: 'eth1', type: 'ethernet', state: 'up' },
        { name: 'eth2', type: 'veth', state: 'up' },
        { name: 'br9', type: 'linux-bridge', state: 'absent' },
        { name: 'ovs0', type: 'ovs-bridge', state: 'up' },
      ],
    };
    expect(linksToCreate(desired, current)).toEqual([
      { path: 'interfaces[0]', name: 'eth1.10', type: 'vlan', kind: 'vlan', module: '8021q' },
      { path: 'interfaces[1]', name: 'bond0', type: 'bond', kind: 'bond', module: 'bonding' },
    ]);
    expect(linksToCreate({ routes: { config: [] } }, current)).toEqual([]);
  });

  it("given the kernel's answers to `ip link add knmprobe0 type <kind>`, should tell unknown kinds from known ones that only lack arguments", () => {
    expect(interpretProbe(0, '')).toEqual({ supported: true });
    expect(interpretProbe(2, 'Error: Unknown device type.\n')).toEqual({ supported: false, detail: 'Error: Unknown device type.' });
    expect(interpretProbe(2, 'RTNETLINK answers: Operation not supported\n')).toMatchObject({ supported: false });
    expect(interpretProbe(2, 'Error: Required attributes not provided to perform the operation.\n')).toEqual({ supported: true });
    expect(interpretProbe(2, 'RTNETLINK answers: Invalid argument\n')).toEqual({ supported: true });
    expect(interpretProbe(1, 'unshare: unshare failed: Operation not permitted\n').supported).toBeUndefined();
    expect(interpretProbe(127, 'Command failed with ENOENT: unshare').supported).toBeUndefined();
  });
});

describe('state comparison and restore', () => {
  it('given the same state with different runtime fields (MAC, address protocol, ethtool), should find no difference', () => {
    const a = base();
    const b = base();
    (b.interfaces[1] as Record<string, unknown>)['mac-address'] = '02:00:00:00:00:99';
    (b.interfaces[1] as Record<string, unknown>).ipv6 = { enabled: true, address: [{ ip: 'fe80::4', 'prefix-length': 64 }] };
    (b.interfaces[1] as Record<string, unknown>).ethtool = {};
    expect(compareStates(normalizeState(a), normalizeState(b), fullScope())).toEqual([]);
  });

  it('given a bridge created over eth1, should remove the bridge (which releases eth1) and nothing else', () => {
    const before = base();
    const now = base();
    now.interfaces.push({ name: 'br1', type: 'linux-bridge', state: 'up', ipv4: { enabled: true, address: [v4('203.0.113.11')] }, bridge: { port: [{ name: 'eth1', 'stp-priority': 32 }] } } as never);
    (now.interfaces[1] as Record<string, unknown>).controller = 'br1';
    const desired = { interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'up', bridge: { port: [{ name: 'eth1' }] } }] };
    const b = normalizeState(before);
    const scope = scopeOf(desired, b);
    expect([...scope.interfaces].sort()).toEqual(['br1', 'eth1']);
    expect(compareStates(b, normalizeState(now), scope)).toEqual(expect.arrayContaining(['interfaces.br1: new linux-bridge (was not there)', 'interfaces.eth1.controller: none → br1']));
    const plan = restoreState(b, normalizeState(now), scope);
    expect(plan.state).toEqual({ interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'absent' }] });
  });

  it('given a broken gateway (eth0 readdressed, default route replaced), should restore the address, remove the new route exactly and re-add the old one', () => {
    const before = base();
    const now = base();
    now.interfaces[0] = eth('eth0', { ipv4: { enabled: true, address: [v4('198.51.100.211')] } });
    const bad = { ...gwRoute, 'next-hop-address': '198.51.100.254' };
    now.routes = { config: [bad], running: [bad] };
    const desired = { interfaces: [{ name: 'eth0', type: 'veth', ipv4: { enabled: true, address: [v4('198.51.100.211')] } }], routes: { config: [{ destination: '0.0.0.0/0', state: 'absent' }, bad] } };
    const b = normalizeState(before);
    const plan = restoreState(b, normalizeState(now), scopeOf(desired, b));
    expect(plan.state).toEqual({
      interfaces: [{ name: 'eth0', type: 'veth', state: 'up', ipv4: { enabled: true, dhcp: false, address: [{ ip: '198.51.100.11', 'prefix-length': 24 }] } }],
      routes: {
        config: [
          { destination: '0.0.0.0/0', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.254', 'table-id': 254, state: 'absent' },
          { destination: '0.0.0.0/0', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.1', 'table-id': 254 },
        ],
      },
    });
  });

  it('given an interface that appeared outside the desired state (a pod veth), should leave it alone', () => {
    const before = base();
    const now = base();
    now.interfaces.push(eth('cali123'));
    const b = normalizeState(before);
    const scope = scopeOf({ interfaces: [{ name: 'eth1', type: 'veth', state: 'up' }] }, b);
    expect(compareStates(b, normalizeState(now), scope)).toEqual([]);
    expect(restoreState(b, normalizeState(now), scope).state).toEqual({});
    expect(compareStates(b, normalizeState(now), fullScope())).toEqual(['interfaces.cali123: new veth (was not there)']);
  });

  it('given an interface the apply removed, should recreate it with its addresses and ports', () => {
    const before = base();
    before.interfaces.push({ name: 'br0', type: 'linux-bridge', state: 'up', ipv4: { enabled: true, address: [v4('203.0.113.5')] }, ipv6: { enabled: false }, bridge: { port: [{ name: 'eth2' }] } } as never);
    const now = base();
    const b = normalizeState(before);
    const plan = restoreState(b, normalizeState(now), scopeOf({ interfaces: [{ name: 'br0', state: 'absent' }] }, b));
    expect(plan.state.interfaces).toEqual([
      { name: 'br0', type: 'linux-bridge', state: 'up', bridge: { port: [{ name: 'eth2' }] }, ipv4: { enabled: true, dhcp: false, address: [{ ip: '203.0.113.5', 'prefix-length': 24 }] }, ipv6: { enabled: false } },
    ]);
  });

  it('given a static IPv6 address that replaced the link-local one, should ask for the link-local address back and report it as missing', () => {
    const before = base();
    const now = base();
    now.interfaces[1] = eth('eth1', { ipv6: { enabled: true, address: [{ ip: '2001:db8:1::1', 'prefix-length': 64 }] } });
    const b = normalizeState(before);
    const scope = scopeOf({ interfaces: [{ name: 'eth1' }] }, b);
    expect(compareStates(b, normalizeState(now), scope)).toEqual(['interfaces.eth1.ipv6.address: [] → [2001:db8:1::1/64]', 'interfaces.eth1.ipv6: link-local address missing']);
    const after = base();
    after.interfaces[1] = eth('eth1', { ipv6: { enabled: true } });
    expect(lostLinkLocal(b, normalizeState(after), scope)).toEqual([{ iface: 'eth1', address: 'fe80::4/64' }]);
  });

  it('given a route whose metric NetworkManager reassigned after a checkpoint rollback, should ignore the metric only when asked', () => {
    const before = base();
    const now = base();
    const withMetric = { ...gwRoute, metric: 100 };
    now.routes = { config: [withMetric], running: [withMetric] };
    const b = normalizeState(before);
    const scope = scopeOf({ routes: { config: [gwRoute] } }, b);
    expect(compareStates(b, normalizeState(now), scope)).toHaveLength(4);
    expect(compareStates(b, normalizeState(now), scope, { ignoreRouteMetric: true })).toEqual([]);
  });

  it('given changed DNS, should restore the snapshot config', () => {
    const before = base();
    const now = base();
    now['dns-resolver'] = { config: { server: ['198.51.100.53'], search: [] }, running: { server: ['198.51.100.53'], search: [] } };
    const b = normalizeState(before);
    const plan = restoreState(b, normalizeState(now), scopeOf({ 'dns-resolver': { config: { server: ['198.51.100.53'] } } }, b));
    expect(plan.state).toEqual({ 'dns-resolver': { config: { server: ['198.51.100.1'], search: ['knmstate.test'] } } });
  });
});

describe('diff summary (plan)', () => {
  it('given a bridge, a route and a removal, should list what each would do', () => {
    const d = diffSummary(base(), {
      interfaces: [
        { name: 'br1', type: 'linux-bridge', state: 'up', bridge: { port: [{ name: 'eth1' }] } },
        { name: 'eth0', type: 'veth', state: 'up', ipv4: { enabled: true, address: [v4('198.51.100.11')] } },
        { name: 'eth2', type: 'veth', state: 'absent' },
      ],
      routes: { config: [{ destination: '203.0.113.128/25', 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.1' }, { 'next-hop-interface': 'eth0', destination: '0.0.0.0/0', state: 'absent' }] },
    });
    expect(d.interfaces).toEqual({ create: ['br1'], modify: [], remove: ['eth2'], unchanged: ['eth0'] });
    expect(d.routes.add).toEqual(['203.0.113.128/25 via 198.51.100.1 dev eth0 table 254']);
    expect(d.routes.remove).toEqual(['0.0.0.0/0 via 198.51.100.1 dev eth0 table 254']);
    expect(d.changes).toBe(4);
  });

  it('given a state the node already has, should report no change', () => {
    expect(diffSummary(base(), { interfaces: [{ name: 'eth1', type: 'veth', state: 'up' }], routes: { config: [gwRoute] } }).changes).toBe(0);
  });

  it('given empty renders, should call them empty but not a DNS purge', () => {
    expect(isEmptyState({})).toBe(true);
    expect(isEmptyState({ interfaces: [], routes: { config: [] }, ovn: {} })).toBe(true);
    expect(isEmptyState({ 'dns-resolver': { config: {} } })).toBe(false);
  });

  it('given an up linux bridge, should add upstream default VLAN trunk to ports without vlan only', () => {
    const out = withDefaultBridgeVlan({ interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'up', bridge: { port: [{ name: 'eth1' }, { name: 'eth2', vlan: {} }] } }] });
    expect((out.interfaces as { bridge: { port: unknown[] } }[])[0]!.bridge.port).toEqual([
      { name: 'eth1', vlan: { mode: 'trunk', 'trunk-tags': [{ 'id-range': { min: 2, max: 4094 } }] } },
      { name: 'eth2', vlan: {} },
    ]);
  });
});

describe('probes (pure parts)', () => {
  it('given routes in several tables, should ping only the main-table default gateway', () => {
    expect(defaultGateway(base())).toEqual({ iface: 'eth0', address: '198.51.100.1' });
    expect(defaultGateway({ routes: { running: [{ ...gwRoute, 'table-id': 200 }] } })).toBeUndefined();
    expect(dnsServers(base())).toEqual(['198.51.100.1']);
  });

  it('given failed probes, should word the failure like upstream', () => {
    const msg = probeFailureMessage([{ name: 'ping', selected: true, after: { ok: false, message: 'ping -I eth0 198.51.100.254 failed', attempts: 3, durationMs: 3000 } }]);
    expect(msg).toBe("rolling back desired state configuration: failed runnig probes after network changes: failed runnig probe 'ping' with after network reconfiguration -> ping -I eth0 198.51.100.254 failed");
  });
});

describe('NodeNetworkState filter', () => {
  it('given a show output, should drop ignored veths, timers, lifetimes, routes via dropped interfaces and other top-level keys', () => {
    const out = filterNetworkState({
      hostname: { running: 'vm' },
      'route-rules': { config: [] },
      'dns-resolver': { config: { server: ['a'], search: ['b'], options: ['rotate'] }, running: { server: ['a'] } },
      interfaces: [
        { name: 'cali1', type: 'veth', state: 'ignore' },
        { name: 'br1', type: 'linux-bridge', state: 'up', bridge: { options: { 'gc-timer': 8, 'hello-timer': 0, 'mac-ageing-time': 300 } }, ipv4: { address: [{ ip: '203.0.113.1', 'prefix-length': 24, 'valid-life-time': '10sec', 'preferred-life-time': '10sec' }] } },
      ],
      routes: { config: [], running: [{ destination: '0.0.0.0/0', 'next-hop-interface': 'cali1' }, { destination: '0.0.0.0/0', 'next-hop-interface': 'br1' }] },
      ovn: { 'bridge-mappings': [], other: 1 },
    });
    expect(out).toEqual({
      'dns-resolver': { config: { server: ['a'], search: ['b'] }, running: { server: ['a'] } },
      interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'up', bridge: { options: { 'mac-ageing-time': 300 } }, ipv4: { address: [{ ip: '203.0.113.1', 'prefix-length': 24 }] } }],
      routes: { config: [], running: [{ destination: '0.0.0.0/0', 'next-hop-interface': 'br1' }] },
      ovn: { 'bridge-mappings': [] },
    });
  });
});

describe('node agent environment', () => {
  it('given a real node environment, should apply the defaults', () => {
    const c = parseNodeAgentEnv({ NODE_NAME: 'worker-1' });
    expect(c).toMatchObject({ nodes: { kind: 'single', name: 'worker-1' }, mode: 'networkmanager', stateDir: '/var/lib/knmstate', temporal: { address: 'localhost:7233', namespace: 'default', tls: false }, healthPort: 8080 });
    expect(mergeProbeSettings(DEFAULT_PROBE_SETTINGS, c.probes)).toEqual(DEFAULT_PROBE_SETTINGS);
    expect(DEFAULT_PROBE_SETTINGS).toMatchObject({ dns: { host: 'root-servers.net', timeoutMs: 120_000 }, selectTimeoutMs: 5_000 });
  });

  it('given an API key, should turn TLS on', () => {
    expect(parseNodeAgentEnv({ NODE_NAME: 'n1', TEMPORAL_API_KEY: 'k' }).temporal).toMatchObject({ apiKey: 'k', tls: true });
  });

  it('given bad values, should name every variable and its rule', () => {
    let err: unknown;
    try {
      parseNodeAgentEnv({ KNMSTATE_NMSTATE_MODE: 'nm', TEMPORAL_ADDRESS: 'nohost', KNMSTATE_HEALTH_PORT: '99999', TEMPORAL_TLS_CLIENT_CERT_PATH: '/c' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/KNMSTATE_NMSTATE_MODE: /);
    expect(problems).toMatch(/TEMPORAL_ADDRESS: must be host:port/);
    expect(problems).toMatch(/KNMSTATE_HEALTH_PORT: /);
    expect(problems).toMatch(/NODE_NAME: is required/);
    expect(problems).toMatch(/TEMPORAL_TLS_CLIENT_KEY_PATH: client certificate and key must be given together/);
  });

  it('given NetworkManager-mode settings, should default to auto bridge VLAN and a 30 s checkpoint margin, and require the bus of a simulated node', () => {
    expect(parseNodeAgentEnv({ NODE_NAME: 'n1' })).toMatchObject({ defaultBridgeVlan: 'auto', checkpointMarginSeconds: 30 });
    expect(parseNodeAgentEnv({ NODE_NAME: 'n1', KNMSTATE_DEFAULT_BRIDGE_VLAN: 'false', KNMSTATE_CHECKPOINT_MARGIN_SECONDS: '5' })).toMatchObject({ defaultBridgeVlan: false, checkpointMarginSeconds: 5 });
    expect(() => parseNodeAgentEnv({ NODE_NAME: 'n1', NODE_NETNS: 'knm-x-n-1' })).toThrow(/DBUS_SYSTEM_BUS_ADDRESS: is required for a simulated NetworkManager-mode node/);
    expect(parseNodeAgentEnv({ NODE_NAME: 'n1', NODE_NETNS: 'knm-x-n-1', DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/tmp/b' }).dbusAddress).toBe('unix:path=/tmp/b');
    expect(parseNodeAgentEnv({ NODE_NAME: 'n1', NODE_NETNS: 'knm-x-n-1', KNMSTATE_NMSTATE_MODE: 'kernel' }).dbusAddress).toBeUndefined();
    expect(() => parseNodeAgentEnv({ NODE_NAME: 'n1', KNMSTATE_CHECKPOINT_MARGIN_SECONDS: '0' })).toThrow(/KNMSTATE_CHECKPOINT_MARGIN_SECONDS/);
  });

  it('given simulated hosting, should refuse it together with NODE_NAME', () => {
    expect(parseNodeAgentEnv({ KNMSTATE_SIMULATED_NODES: 'knmstate.io/group=a' }).nodes).toEqual({ kind: 'simulated', selector: 'knmstate.io/group=a' });
    expect(() => parseNodeAgentEnv({ KNMSTATE_SIMULATED_NODES: '*', NODE_NAME: 'n1' })).toThrow(/KNMSTATE_SIMULATED_NODES: cannot be combined with NODE_NAME/);
  });
});
