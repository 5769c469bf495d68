/**
 * A table of invalid manifests, each rejected by the real apiserver (CRD schema, CEL rules or the
 * ValidatingAdmissionPolicy) or by validateDesiredState, with a message that names the field and the
 * rule. Apiserver cases are server-side dry runs (nothing is stored); where the zod schema has the
 * same rule, it must reject the manifest too (the TypeScript twin of the CEL rules). desiredState's own
 * cases (refused at admission, or by the rollout) are in desired-state.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { installCrds } from '../../hack/cluster/crds.ts';
import { NNCP, nodeNetworkConfigurationPolicy } from '../../crd/index.ts';
import { apiMessage, connect, createNncp, deleteNncp, NO_NODE, type Api } from './support.ts';

let api: Api;

beforeAll(async () => {
  api = connect();
  await installCrds(api.cluster.info.kube.kubeconfig);
}, 90_000);

const base = (spec: Record<string, unknown> = {}, name = 'api-invalid'): Record<string, unknown> => ({
  apiVersion: NNCP.apiVersion,
  kind: NNCP.kind,
  metadata: { name },
  spec: { nodeSelector: NO_NODE, desiredState: { interfaces: [{ name: 'eth1', type: 'ethernet', state: 'up' }] }, ...spec },
});
const rollout = (r: Record<string, unknown>): Record<string, unknown> => base({ rollout: r });
const probes = (p: Record<string, unknown>): Record<string, unknown> => base({ probes: p });
const terms = (expr: Record<string, unknown>): Record<string, unknown> => rollout({ nodeSelectorTerms: [{ matchExpressions: [expr] }] });

const POLICY_NAME_RULE = 'must be no more than 63 characters or match label value format';
const RFC1123 = 'a lowercase RFC 1123 subdomain';
const INT_OR_PERCENT = 'must be an integer >= 0 or a percentage "N%" with N in 0-100';
const WAVE_NODES = 'must be an integer >= 1 or a percentage "N%" with N in 1-100';
const DURATION = 'must be a duration like "30s"';
const KEYS = 'nodeSelector keys must be valid qualified names';
const VALUES = 'nodeSelector values must be valid label values';

/** [case, manifest, [substrings the message must contain: field, rule], whether zod has the rule]. */
const created: [string, Record<string, unknown>, string[], boolean][] = [
  // Names (upstream's VAP rule, and the apiserver's own metadata.name rule for hostile strings)
  ['a 64-character name', base({}, 'a'.repeat(64)), [`invalid policy name: "${'a'.repeat(64)}"`, POLICY_NAME_RULE], false],
  ['an upper-case name', base({}, 'Eth1-Policy'), ['metadata.name', RFC1123], false],
  ['a name with a shell command', base({}, 'eth1;rm -rf /'), ['metadata.name', RFC1123], false],
  ['a name with command substitution', base({}, '$(reboot)'), ['metadata.name', RFC1123], false],
  ['a name with a newline', base({}, 'eth1\nrm'), ['metadata.name', RFC1123], false],
  // nodeSelector keys (CRD CEL) and values (VAP)
  ['a nodeSelector key with a space', base({ nodeSelector: { 'node role': 'x' } }), ['spec.nodeSelector', KEYS], true],
  ['a nodeSelector key starting with a dash', base({ nodeSelector: { '-role': 'x' } }), ['spec.nodeSelector', KEYS], true],
  ['a nodeSelector key with an upper-case prefix', base({ nodeSelector: { 'Example.com/role': 'x' } }), ['spec.nodeSelector', KEYS], true],
  ['a nodeSelector key with a quote', base({ nodeSelector: { "role'); drop": 'x' } }), ['spec.nodeSelector', KEYS], true],
  ['a nodeSelector value with a space', base({ nodeSelector: { role: 'not a value' } }), [VALUES], true],
  ['a 64-character nodeSelector value', base({ nodeSelector: { role: 'v'.repeat(64) } }), [VALUES], true],
  ['a nodeSelector value with command substitution', base({ nodeSelector: { role: '$(reboot)' } }), [VALUES], true],
  ['a nodeSelector with 257 entries', base({ nodeSelector: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, 'v'])) }), ['spec.nodeSelector', 'must have at most 256'], true],
  // maxUnavailable and maxFailures
  ['maxUnavailable "101%"', base({ maxUnavailable: '101%' }), ['spec.maxUnavailable', INT_OR_PERCENT], true],
  ['maxUnavailable -1', base({ maxUnavailable: -1 }), ['spec.maxUnavailable', INT_OR_PERCENT], true],
  ['maxUnavailable "50" (a string without %)', base({ maxUnavailable: '50' }), ['spec.maxUnavailable', INT_OR_PERCENT], true],
  ['maxUnavailable "asdf"', base({ maxUnavailable: 'asdf' }), ['spec.maxUnavailable', INT_OR_PERCENT], true],
  ['maxUnavailable "5.5%"', base({ maxUnavailable: '5.5%' }), ['spec.maxUnavailable', INT_OR_PERCENT], true],
  ['maxFailures "200%"', rollout({ maxFailures: '200%' }), ['spec.rollout.maxFailures', INT_OR_PERCENT], true],
  ['maxFailures -3', rollout({ maxFailures: -3 }), ['spec.rollout.maxFailures', INT_OR_PERCENT], true],
  // waves
  ['an empty waves list', rollout({ waves: [] }), ['spec.rollout.waves', 'at least 1 items'], true],
  ['a wave of 0 nodes', rollout({ waves: [{ nodes: 0 }] }), ['spec.rollout.waves[0].nodes', WAVE_NODES], true],
  ['a wave of "0%"', rollout({ waves: [{ nodes: 1 }, { nodes: '0%' }] }), ['spec.rollout.waves[1].nodes', WAVE_NODES], true],
  ['a wave without nodes', rollout({ waves: [{ pause: '1m' }] }), ['spec.rollout.waves[0].nodes', 'Required value'], true],
  ['21 waves', rollout({ waves: Array.from({ length: 21 }, () => ({ nodes: 1 })) }), ['spec.rollout.waves', 'must have at most 20 items'], true],
  // durations
  ['a pause of "1d"', rollout({ waves: [{ nodes: 1, pause: '1d' }] }), ['spec.rollout.waves[0].pause', DURATION], true],
  ['a pause of "forever"', rollout({ waves: [{ nodes: 1, pause: 'forever' }] }), ['spec.rollout.waves[0].pause', DURATION], true],
  ['a pause over 720h', rollout({ waves: [{ nodes: 1, pause: '721h' }] }), ['spec.rollout.waves[0].pause', 'between 1s and 720h'], true],
  ['a negative pause', rollout({ waves: [{ nodes: 1, pause: '-5m' }] }), ['spec.rollout.waves[0].pause', DURATION], true],
  // probes
  ['a probe timeout of 0s', probes({ ping: { timeout: '0s' } }), ['spec.probes.ping.timeout', 'between 1s and 10m'], true],
  ['a probe timeout of 11m', probes({ apiServer: { timeout: '11m' } }), ['spec.probes.apiServer.timeout', 'between 1s and 10m'], true],
  ['a probe timeout given as a number', probes({ nodeReadiness: { timeout: 30 } }), ['spec.probes.nodeReadiness.timeout', 'must be of type string'], true],
  ['a DNS probe host that is not a name', probes({ dns: { host: 'bad host!' } }), ['spec.probes.dns.host', 'must be a DNS name'], true],
  ['probe enabled "yes"', probes({ dns: { enabled: 'yes' } }), ['spec.probes.dns.enabled', 'must be of type boolean'], true],
  ['an unknown probe', probes({ icmp: { enabled: true } }), ['unknown field "spec.probes.icmp"'], true],
  // failure mode, order, set-based selection
  ['onFailure "retry"', rollout({ onFailure: 'retry' }), ['spec.rollout.onFailure', 'Unsupported value: "retry"'], true],
  ['an order key with neither label nor field', rollout({ order: [{}] }), ['spec.rollout.order[0]', 'exactly one of label or field must be set'], true],
  ['an order key with both label and field', rollout({ order: [{ label: 'zone', field: 'name' }] }), ['spec.rollout.order[0]', 'exactly one of label or field must be set'], true],
  ['an order label that is not a label key', rollout({ order: [{ label: 'bad key!' }] }), ['spec.rollout.order[0].label', 'must be a valid label key'], true],
  ['an order field other than name', rollout({ order: [{ field: 'zone' }] }), ['spec.rollout.order[0].field', 'Unsupported value: "zone"'], true],
  ['a selector operator "Maybe"', terms({ key: 'role', operator: 'Maybe', values: ['x'] }), ['spec.rollout.nodeSelectorTerms[0].matchExpressions[0].operator', 'Unsupported value'], true],
  ['In without values', terms({ key: 'role', operator: 'In' }), ['spec.rollout.nodeSelectorTerms[0].matchExpressions[0]', 'values must fit the operator'], true],
  ['Gt with a non-integer', terms({ key: 'rack', operator: 'Gt', values: ['ten'] }), ['spec.rollout.nodeSelectorTerms[0].matchExpressions[0]', 'Gt/Lt exactly one integer'], true],
  ['a selector value with a semicolon', terms({ key: 'role', operator: 'In', values: ['a;reboot'] }), ['spec.rollout.nodeSelectorTerms[0].matchExpressions[0].values', 'values must be valid label values'], true],
  ['an unknown rollout field', rollout({ wave: [{ nodes: 1 }] }), ['unknown field "spec.rollout.wave"'], true],
];

describe('invalid manifests on create', () => {
  it('given the table, should have at least 30 apiserver cases', () => {
    expect(created.length).toBeGreaterThanOrEqual(30);
  });

  it.each(created)('given %s, should be rejected with a message naming the field and the rule', async (_what, manifest, expected, zodHasRule) => {
    const err = await createNncp(api, manifest).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBeDefined();
    for (const s of expected) expect(err!.message).toContain(s);
    if (zodHasRule) expect(nodeNetworkConfigurationPolicy.safeParse(manifest).success).toBe(false);
  });
});

describe('invalid updates', () => {
  const name = 'api-invalid-capture';
  const withCapture = base({ capture: { 'default-gw': 'routes.running.destination=="0.0.0.0/0"' } }, name);
  const withoutCapture = base({}, `${name}-none`);

  beforeAll(async () => {
    await createNncp(api, withCapture, { persist: true });
    await createNncp(api, withoutCapture, { persist: true });
  });
  afterAll(async () => {
    await deleteNncp(api, name);
    await deleteNncp(api, `${name}-none`);
  });

  const patch = async (n: string, spec: Record<string, unknown>): Promise<string | undefined> =>
    api.custom
      .patchClusterCustomObject({ group: NNCP.group, version: NNCP.version, plural: NNCP.plural, name: n, body: { spec }, dryRun: 'All' }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
      .then(
        () => undefined,
        (e: unknown) => apiMessage(e),
      );

  it.each([
    ['a changed capture expression', name, { capture: { 'default-gw': 'routes.running.destination=="::/0"' } }],
    ['an added capture', name, { capture: { 'base-iface': 'interfaces.name=="eth1"' } }],
    ['a removed capture', name, { capture: null }],
    ['a capture added to a policy without one', `${name}-none`, { capture: { x: 'interfaces.name=="eth1"' } }],
  ])('given %s, should be denied: capture is immutable', async (_what, n, spec) => {
    expect(await patch(n, spec)).toContain('invalid policy operation: capture field cannot be modified');
  });

  it('given a spec edit while the policy is in progress, should be allowed (the new generation supersedes the rollout)', async () => {
    expect(await patch(name, { maxUnavailable: 1, desiredState: { interfaces: [{ name: 'eth1', type: 'ethernet', state: 'down' }] } })).toBeUndefined();
  });
});
