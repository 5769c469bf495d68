/**
 * desiredState on the real apiserver, both ways. Valid nmstate is never refused: every state of the
 * corpus (test/api/fixtures/valid-states/, shapes taken from nmstate's own examples and test states)
 * is parsed by the real nmstatectl, accepted by `kubectl apply` (server-side dry run) and by
 * validateDesiredState. Bad nmstate is refused as early as it can be: what CEL can express is denied
 * at admission by the ValidatingAdmissionPolicy, with the field path in the message; what it cannot
 * is accepted by the apiserver and refused by validateDesiredState, which the rollout runs before any
 * node is touched.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { installCrds } from '../../hack/cluster/crds.ts';
import { NNCP, validateDesiredState } from '../../crd/index.ts';
import { apiMessage, connect, createNncp, deleteNncp, NO_NODE, ROOT, type Api } from './support.ts';

let api: Api;

beforeAll(async () => {
  api = connect();
  await installCrds(api.cluster.info.kube.kubeconfig);
}, 90_000);

const CORPUS_DIR = join(ROOT, 'test', 'api', 'fixtures', 'valid-states');
const corpus = readdirSync(CORPUS_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((file) => ({ file, text: readFileSync(join(CORPUS_DIR, file), 'utf8'), state: parse(readFileSync(join(CORPUS_DIR, file), 'utf8')) as Record<string, unknown> }));

const manifest = (desiredState: unknown, name = 'api-desired-state'): Record<string, unknown> => ({
  apiVersion: NNCP.apiVersion,
  kind: NNCP.kind,
  metadata: { name },
  spec: { nodeSelector: NO_NODE, desiredState },
});

/** The message of a refused create, or undefined when it was accepted. */
const refusal = async (desiredState: unknown): Promise<string | undefined> =>
  createNncp(api, manifest(desiredState)).then(
    () => undefined,
    (e: unknown) => (e as Error).message,
  );

describe('the valid-state corpus', () => {
  it('given the corpus, should cover the shapes nmstate accepts that a strict reading refuses', () => {
    const files = corpus.map((c) => c.file);
    for (const f of ['name-only-down.yaml', 'bond-options-existing.yaml', 'vlan-existing-id-only.yaml', 'quoted-booleans.yaml', 'quoted-integers.yaml', 'ovs-bridge-names-only.yaml', 'policy-templates.yaml']) expect(files).toContain(f);
    expect(corpus.length).toBeGreaterThanOrEqual(30);
  });

  it.each(corpus.filter((c) => !c.text.includes('{{')).map((c) => [c.file, c.text] as const))('given %s, the real nmstatectl should parse it (so the corpus is valid nmstate)', async (_file, text) => {
    const r = await execa(api.cluster.tools.nmstatectl, ['-q', 'format', '-'], { input: text, reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it.each(corpus.map((c) => [c.file, c.state] as const))('given %s, should be accepted by the apiserver and by validateDesiredState', async (_file, state) => {
    expect(validateDesiredState(state)).toEqual([]);
    expect(await refusal(state)).toBeUndefined();
  });

  it('given every corpus state as one manifest stream, kubectl apply --dry-run=server should accept them all', async () => {
    const stream = corpus.map((c) => stringify(manifest(c.state, `api-corpus-${c.file.replace(/\.yaml$/, '')}`))).join('---\n');
    const r = await execa(api.cluster.tools.kubectl, ['--kubeconfig', api.cluster.info.kube.kubeconfig, 'apply', '--dry-run=server', '-f', '-'], { input: stream, reject: false });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter((l) => l.includes('(server dry run)'))).toHaveLength(corpus.length);
  });
});

/** [case, desiredState, path under spec.desiredState, words of the rule, validateDesiredState's path and rule]. */
const refusedAtAdmission: [string, unknown, string, string, [string, string]][] = [
  ['interfaces not a list', { interfaces: { name: 'eth1' } }, 'interfaces', 'must be a list', ['interfaces', 'type']],
  ['an interface that is a string', { interfaces: ['eth1'] }, 'interfaces[0]', 'must be an object', ['interfaces[0]', 'type']],
  ['an interface without a name', { interfaces: [{ name: 'eth1' }, { type: 'ethernet', state: 'up' }] }, 'interfaces[1].name', 'is required', ['interfaces[1].name', 'required']],
  ['a name that is a number', { interfaces: [{ name: 5 }] }, 'interfaces[0].name', 'must be a string', ['interfaces[0].name', 'type']],
  ['a 16-byte name', { interfaces: [{ name: 'abcdefghijklmnop', type: 'ethernet' }] }, 'interfaces[0].name', 'is not a valid interface name', ['interfaces[0].name', 'interface-name']],
  ['a name of 6 two-byte characters and 4 letters (16 bytes)', { interfaces: [{ name: 'éééééébond' }] }, 'interfaces[0].name', 'is not a valid interface name', ['interfaces[0].name', 'interface-name']],
  ['a hostile name', { interfaces: [{ name: 'eth0; reboot', type: 'ethernet' }] }, 'interfaces[0].name', 'is not a valid interface name', ['interfaces[0].name', 'interface-name']],
  ['a path as a name', { interfaces: [{ name: '../../etc', type: 'ethernet' }] }, 'interfaces[0].name', 'is not a valid interface name', ['interfaces[0].name', 'interface-name']],
  ['the name ".."', { interfaces: [{ name: '..' }] }, 'interfaces[0].name', 'is not a valid interface name', ['interfaces[0].name', 'interface-name']],
  ['a name with a colon', { interfaces: [{ name: 'eth1:0' }] }, 'interfaces[0].name', 'is not a valid interface name', ['interfaces[0].name', 'interface-name']],
  ['an empty name', { interfaces: [{ name: '' }] }, 'interfaces[0].name', 'is not a valid interface name', ['interfaces[0].name', 'interface-name']],
  ['a bad controller name', { interfaces: [{ name: 'eth1', controller: 'br 0' }] }, 'interfaces[0].controller', 'is not a valid interface name', ['interfaces[0].controller', 'interface-name']],
  ['an unknown state', { interfaces: [{ name: 'eth1', type: 'ethernet', state: 'enabled' }] }, 'interfaces[0].state', 'must be one of up, down, absent, ignore, unknown', ['interfaces[0].state', 'interface-state']],
  ['a state in capitals', { interfaces: [{ name: 'eth1', state: 'UP' }] }, 'interfaces[0].state', 'must be one of', ['interfaces[0].state', 'interface-state']],
  ['an unknown type', { interfaces: [{ name: 'eth1', type: 'wifi6' }] }, 'interfaces[0].type', 'must be one of ethernet', ['interfaces[0].type', 'interface-type']],
  ['ipv4 that is a list', { interfaces: [{ name: 'eth1', ipv4: [] }] }, 'interfaces[0].ipv4', 'must be an object', ['interfaces[0].ipv4', 'type']],
  ['a prefix length of 33', { interfaces: [{ name: 'eth1', ipv4: { address: [{ ip: '203.0.113.5', 'prefix-length': 24 }, { ip: '203.0.113.6', 'prefix-length': 33 }] } }] }, 'interfaces[0].ipv4.address[1].prefix-length', 'must be between 0 and 32', ['interfaces[0].ipv4.address[1].prefix-length', 'range']],
  ['a prefix length of "129" under ipv6', { interfaces: [{ name: 'eth1', ipv6: { address: [{ ip: '2001:db8::5', 'prefix-length': '129' }] } }] }, 'interfaces[0].ipv6.address[0].prefix-length', 'must be between 0 and 128', ['interfaces[0].ipv6.address[0].prefix-length', 'range']],
  ['a prefix length of 24.5', { interfaces: [{ name: 'eth1', ipv4: { address: [{ ip: '203.0.113.5', 'prefix-length': 24.5 }] } }] }, 'interfaces[0].ipv4.address[0].prefix-length', 'must be an integer', ['interfaces[0].ipv4.address[0].prefix-length', 'type']],
  ['a missing prefix length', { interfaces: [{ name: 'eth1', ipv4: { address: [{ ip: '203.0.113.5' }] } }] }, 'interfaces[0].ipv4.address[0].prefix-length', 'is required', ['interfaces[0].ipv4.address[0].prefix-length', 'required']],
  ['an IP of 999.1.1.1', { interfaces: [{ name: 'eth1', ipv4: { address: [{ ip: '999.1.1.1', 'prefix-length': 24 }] } }] }, 'interfaces[0].ipv4.address[0].ip', 'is not an IP address', ['interfaces[0].ipv4.address[0].ip', 'ip-address']],
  ['an IP in CIDR form', { interfaces: [{ name: 'eth1', ipv4: { address: [{ ip: '203.0.113.5/24', 'prefix-length': 24 }] } }] }, 'interfaces[0].ipv4.address[0].ip', 'is not an IP address', ['interfaces[0].ipv4.address[0].ip', 'ip-address']],
  ['an IPv6 address under ipv4', { interfaces: [{ name: 'eth1', ipv4: { address: [{ ip: '2001:db8::1', 'prefix-length': 24 }] } }] }, 'interfaces[0].ipv4.address[0].ip', 'is an IPv6 address under ipv4', ['interfaces[0].ipv4.address[0].ip', 'ip-family']],
  ['a route destination "default"', { routes: { config: [{ destination: 'default', 'next-hop-interface': 'eth1' }] } }, 'routes.config[0].destination', 'is not an IP prefix', ['routes.config[0].destination', 'cidr']],
  ['a route destination with prefix /33', { routes: { config: [{ destination: '198.51.100.0/24' }, { destination: '198.51.100.0/33' }] } }, 'routes.config[1].destination', 'is not an IP prefix', ['routes.config[1].destination', 'cidr']],
  ['a route without destination', { routes: { config: [{ 'next-hop-interface': 'eth1' }] } }, 'routes.config[0].destination', 'is required', ['routes.config[0].destination', 'required']],
  ['a next hop that is a name', { routes: { config: [{ destination: '198.51.100.0/24', 'next-hop-address': 'gateway' }] } }, 'routes.config[0].next-hop-address', 'is not an IP address', ['routes.config[0].next-hop-address', 'ip-address']],
  ['a route state other than absent', { routes: { config: [{ destination: '198.51.100.0/24', state: 'present' }] } }, 'routes.config[0].state', 'must be absent', ['routes.config[0].state', 'enum']],
  ['routes.config not a list', { routes: { config: { destination: '198.51.100.0/24' } } }, 'routes.config', 'must be a list', ['routes.config', 'type']],
  ['an unknown key under routes', { routes: { static: [] } }, 'routes.static', 'unknown field', ['routes.static', 'unknown-field']],
  ['a DNS server with a shell suffix', { 'dns-resolver': { config: { server: ['198.51.100.1; rm -rf /'] } } }, 'dns-resolver.config.server[0]', 'is not a name server address', ['dns-resolver.config.server[0]', 'dns-server']],
  ['a DNS server that is a name', { 'dns-resolver': { config: { server: ['192.0.2.53', 'dns.example.com'] } } }, 'dns-resolver.config.server[1]', 'is not a name server address', ['dns-resolver.config.server[1]', 'dns-server']],
  ['a DNS search domain with a space', { 'dns-resolver': { config: { search: ['bad domain'] } } }, 'dns-resolver.config.search[0]', 'is not a DNS domain name', ['dns-resolver.config.search[0]', 'dns-search']],
  ['a misspelt top-level key', { interface: [] }, 'interface', 'unknown field', ['interface', 'unknown-field']],
  ['a bridge port with a 16-byte name', { interfaces: [{ name: 'br1', type: 'linux-bridge', bridge: { port: [{ name: 'eth1' }, { name: 'abcdefghijklmnop' }] } }] }, 'interfaces[0].bridge.port[1].name', 'is not a valid interface name', ['interfaces[0].bridge.port[1].name', 'interface-name']],
  ['a bridge port without a name (ports alias)', { interfaces: [{ name: 'br1', type: 'ovs-bridge', bridge: { ports: [{ vlan: { mode: 'access', tag: 2 } }] } }] }, 'interfaces[0].bridge.ports[0].name', 'is required', ['interfaces[0].bridge.ports[0].name', 'required']],
  ['bridge ports given as names, not objects', { interfaces: [{ name: 'br1', type: 'linux-bridge', bridge: { port: ['eth1'] } }] }, 'interfaces[0].bridge.port[0]', 'must be an object', ['interfaces[0].bridge.port[0]', 'type']],
  ['a bond port that is a number', { interfaces: [{ name: 'bond0', type: 'bond', 'link-aggregation': { mode: 'active-backup', port: ['eth1', 2] } }] }, 'interfaces[0].link-aggregation.port[1]', 'must be an interface name', ['interfaces[0].link-aggregation.port[1]', 'type']],
  ['a bond port with a space', { interfaces: [{ name: 'bond0', type: 'bond', 'link-aggregation': { ports: ['eth 1'] } }] }, 'interfaces[0].link-aggregation.ports[0]', 'is not a valid interface name', ['interfaces[0].link-aggregation.ports[0]', 'interface-name']],
  ['a VLAN id of 5000', { interfaces: [{ name: 'eth1.5000', type: 'vlan', vlan: { 'base-iface': 'eth1', id: 5000 } }] }, 'interfaces[0].vlan.id', 'must be between 0 and 4094', ['interfaces[0].vlan.id', 'range']],
  ['a VLAN id of "4095"', { interfaces: [{ name: 'eth1.4095', type: 'vlan', vlan: { id: '4095' } }] }, 'interfaces[0].vlan.id', 'must be between 0 and 4094', ['interfaces[0].vlan.id', 'range']],
  ['a VLAN base-iface with a slash', { interfaces: [{ name: 'v10', type: 'vlan', vlan: { 'base-iface': 'eth1/0', id: 10 } }] }, 'interfaces[0].vlan.base-iface', 'is not a valid interface name', ['interfaces[0].vlan.base-iface', 'interface-name']],
];

describe('malformed desiredState refused at admission', () => {
  it.each(refusedAtAdmission)('given %s, should be denied with spec.desiredState.<path> and the rule, and validateDesiredState should refuse it too', async (_what, desiredState, path, rule, [vPath, vRule]) => {
    const message = await refusal(desiredState);
    expect(message).toContain(`ValidatingAdmissionPolicy 'nncp-validation-policy'`);
    expect(message).toContain(`spec.desiredState.${path}: `);
    expect(message).toContain(rule);
    // CEL is a subset of the validator: never refuse what validateDesiredState accepts.
    expect(validateDesiredState(desiredState).map((e) => [e.path, e.rule])).toContainEqual([vPath, vRule]);
  });

  it('given several problems of one kind in one state, should name every one of them in one message', async () => {
    const message = await refusal({ interfaces: [{ type: 'ethernet' }, { name: 'eth1', state: 'on' }, { name: 'a/b', type: 'wifi' }] });
    for (const p of ['interfaces[0].name: is required', 'interfaces[1].state: must be one of', 'interfaces[2].name: is not a valid interface name', 'interfaces[2].type: must be one of']) {
      expect(message).toContain(`spec.desiredState.${p}`);
    }
  });

  it.each([
    [{ interfaces: [null, 5, [], { name: null }] }, ['interfaces[0]: must be an object', 'interfaces[1]: must be an object', 'interfaces[2]: must be an object', 'interfaces[3].name: is required']],
    [{ interfaces: [{ name: 'eth1', ipv4: 'x' }] }, ['interfaces[0].ipv4: must be an object']],
    [{ interfaces: [{ name: 'eth1', ipv6: { address: {} } }] }, ['interfaces[0].ipv6.address: must be a list']],
    [{ interfaces: [{ name: 'eth1', ipv4: { address: [7, { ip: 7, 'prefix-length': true }] } }] }, ['interfaces[0].ipv4.address[0]: must be an object', 'interfaces[0].ipv4.address[1].ip: must be a string', 'interfaces[0].ipv4.address[1].prefix-length: must be an integer']],
    [{ routes: 7 }, ['routes: must be an object']],
    [{ routes: { config: [null, { destination: 5, 'next-hop-address': [] }] } }, ['routes.config[0]: must be an object', 'routes.config[1].destination: must be a string', 'routes.config[1].next-hop-address: must be a string']],
    [{ 'dns-resolver': { config: { server: 'x' } } }, ['dns-resolver.config.server: must be a list']],
    [{ 'dns-resolver': { config: { search: [1, null] } } }, ['dns-resolver.config.search[0]: is not a DNS domain name', 'dns-resolver.config.search[1]: is not a DNS domain name']],
  ])('given values of unexpected types (%j), should deny with messages naming each path, never with a CEL evaluation error', async (state, paths) => {
    const message = await refusal(state);
    expect(message).not.toMatch(/resulted in error|no such key|no matching overload/);
    for (const p of paths) expect(message).toContain(`spec.desiredState.${p}`);
    expect(validateDesiredState(state).length).toBeGreaterThanOrEqual(paths.length);
  });

  it('given nmpolicy templates where values or whole sections go, should accept them (they are resolved per node)', async () => {
    const state = {
      interfaces: [{ name: '{{ capture.base.interfaces.0.name }}', ipv4: { address: [{ ip: '{{ capture.a.ip }}', 'prefix-length': '{{ capture.a.len }}' }] }, ipv6: '{{ capture.base.interfaces.0.ipv6 }}' }],
      routes: { config: '{{ capture.gw.routes.running }}' },
      'dns-resolver': { config: '{{ capture.dns.dns-resolver.running }}' },
    };
    expect(validateDesiredState(state)).toEqual([]);
    expect(await refusal(state)).toBeUndefined();
    expect(await refusal({ interfaces: '{{ capture.all.interfaces }}' })).toBeUndefined();
  });

  it('given 4094 VLANs in one policy, should accept it within CEL\'s cost limit', async () => {
    const interfaces = Array.from({ length: 4094 }, (_, i) => ({ name: `eth1.${i + 1}`, type: 'vlan', state: 'up', vlan: { 'base-iface': 'eth1', id: i + 1 } }));
    expect(await refusal({ interfaces })).toBeUndefined();
  });
});

describe('desiredState on update', () => {
  const name = 'api-desired-state-update';
  beforeAll(async () => {
    await deleteNncp(api, name);
    await createNncp(api, manifest({ interfaces: [{ name: 'eth1', state: 'up' }] }, name), { persist: true });
  });
  afterAll(async () => deleteNncp(api, name));

  const patch = async (body: Record<string, unknown>): Promise<string | undefined> =>
    api.custom
      .patchClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name, body, dryRun: 'All' }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
      .then(
        () => undefined,
        (e: unknown) => apiMessage(e),
      );

  it('given an edit that makes desiredState invalid, should be denied with the path', async () => {
    expect(await patch({ spec: { desiredState: { interfaces: [{ name: 'eth1', state: 'sideways' }] } } })).toContain('spec.desiredState.interfaces[0].state: must be one of');
  });

  it('given an edit that leaves desiredState as it was, should be allowed', async () => {
    expect(await patch({ metadata: { labels: { team: 'net' } }, spec: { maxUnavailable: 1 } })).toBeUndefined();
  });
});

/** [case, desiredState, validateDesiredState's path and rule]: CEL cannot judge these (or does not try). */
const refusedByTheRollout: [string, unknown, string, string][] = [
  ['an unknown bond mode', { interfaces: [{ name: 'bond0', type: 'bond', 'link-aggregation': { mode: 'round-robin' } }] }, 'interfaces[0].link-aggregation.mode', 'enum'],
  ['a VLAN id of "0x1388" (5000 in hexadecimal)', { interfaces: [{ name: 'eth1.5000', type: 'vlan', vlan: { 'base-iface': 'eth1', id: '0x1388' } }] }, 'interfaces[0].vlan.id', 'range'],
  ['a five-octet MAC address', { interfaces: [{ name: 'eth1', 'mac-address': '02:00:00:00:00' }] }, 'interfaces[0].mac-address', 'mac-address'],
  ['a hexadecimal prefix length out of range', { interfaces: [{ name: 'eth1', ipv4: { address: [{ ip: '192.0.2.1', 'prefix-length': '0x21' }] } }] }, 'interfaces[0].ipv4.address[0].prefix-length', 'range'],
  ['an IPv4-mapped IPv6 address under ipv4', { interfaces: [{ name: 'eth1', ipv4: { address: [{ ip: '::ffff:192.0.2.1', 'prefix-length': 24 }] } }] }, 'interfaces[0].ipv4.address[0].ip', 'ip-family'],
  ['a name with a no-break space', { interfaces: [{ name: 'eth\u00a01' }] }, 'interfaces[0].name', 'interface-name'],
  ['the same interface twice', { interfaces: [{ name: 'eth1', type: 'ethernet' }, { name: 'eth1', type: 'ethernet' }] }, 'interfaces[1].name', 'duplicate-interface'],
  ['dhcp "maybe"', { interfaces: [{ name: 'eth1', ipv4: { dhcp: 'maybe' } }] }, 'interfaces[0].ipv4.dhcp', 'type'],
  ['a route metric of -2', { routes: { config: [{ destination: '0.0.0.0/0', metric: -2 }] } }, 'routes.config[0].metric', 'range'],
  ['a bridge port with a bad name but no type on its bridge (the validator does not read it either)', { interfaces: [{ name: 'br1', bridge: { port: [{ name: 'a/b' }] } }] }, '', ''],
  ['a route rule from a name', { 'route-rules': { config: [{ 'ip-from': 'office', 'route-table': 100 }] } }, 'route-rules.config[0].ip-from', 'cidr'],
];

describe('malformed desiredState CEL cannot judge (accepted by the apiserver, refused by the rollout)', () => {
  it.each(refusedByTheRollout)('given %s, should be accepted by the apiserver and refused by validateDesiredState at the field', async (_what, desiredState, path, rule) => {
    expect(await refusal(desiredState)).toBeUndefined();
    const errs = validateDesiredState(desiredState);
    if (!rule) return expect(errs).toEqual([]); // accepted by both: decided on the node
    expect(errs.map((e) => [e.path, e.rule])).toContainEqual([path, rule]);
    expect(errs.find((e) => e.path === path)!.message.startsWith(`${path}: `)).toBe(true);
  });
});
