/**
 * Probe selection must not cost minutes: a ping or dns probe that fails before the change is left
 * out after one short bounded check, and the apply's report says what was decided, why, and how
 * long it took. The agent here keeps knmstate's defaults for the DNS host (root-servers.net, which
 * the simulated fabric's resolver does not answer) and the selection timeout; only the probes'
 * after-change timeout is short.
 */
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_PROBE_SETTINGS, resolveProbes, uniformProbeSettings } from '../../crd/probes.ts';
import type { ApplyNodeStateResult } from '../../activities/node/index.ts';
import { okResult, useAgents } from './support.ts';

const s = useAgents('agent-probe-select', 1, { nodeMode: 'kernel', probes: uniformProbeSettings({ timeoutMs: 3_000 }) });
const node = () => s.t.nodes.nodes[0]!;
const route = (gen: number) => ({ routes: { config: [{ destination: `203.0.113.${gen}/32`, 'next-hop-interface': 'eth0', 'next-hop-address': '198.51.100.1' }] } });

describe('probe selection', () => {
  it('given a node whose resolver does not answer the default DNS probe host, should leave dns out after one short check and say why in the report', async () => {
    const res = await okResult<ApplyNodeStateResult>(s.call(node().name, { activity: 'applyNodeState', input: { policy: 'probe-select', generation: 1, desiredState: route(41) } }));
    const dns = res.probes.find((p) => p.name === 'dns')!;
    expect(dns.selected).toBe(false);
    expect(dns.reason).toMatch(/did not pass before the change \(checked for \d+ ms, \d+ attempts?, selection timeout 5000 ms\): no DNS server resolved root-servers\.net/);
    expect(dns.before?.ok).toBe(false);
    expect(dns.before!.durationMs).toBeLessThanOrEqual(DEFAULT_PROBE_SETTINGS.selectTimeoutMs + 3_000);
    expect(res.probes.find((p) => p.name === 'ping')).toMatchObject({ selected: true, reason: expect.stringMatching(/^passed before the change/) });
    expect(res.probes.filter((p) => p.name === 'api-server' || p.name === 'node-readiness').map((p) => p.reason)).toEqual(['always selected', 'always selected']);
    // One bounded check, not upstream's 120 s poll.
    expect(res.durations.probeSelectMs).toBeLessThan(DEFAULT_PROBE_SETTINGS.selectTimeoutMs + 3_000);
    process.stderr.write(`[probe-selection] probeSelectMs ${res.durations.probeSelectMs} (dns check ${dns.before!.durationMs} ms, ${dns.before!.attempts} attempts)\n`);
  });

  it("given a policy's resolved probes passed as the apply's probes, should use them as they are (its DNS host, its disabled probe)", async () => {
    const probes = resolveProbes({ dns: { host: 'gateway.knmstate.test' }, nodeReadiness: { enabled: false }, ping: { timeout: '5s' } });
    const res = await okResult<ApplyNodeStateResult>(s.call(node().name, { activity: 'applyNodeState', input: { policy: 'probe-select', generation: 2, desiredState: route(42), probes } }));
    const byName = Object.fromEntries(res.probes.map((p) => [p.name, p]));
    expect(byName.dns).toMatchObject({ selected: true, before: { ok: true, message: expect.stringContaining('resolved gateway.knmstate.test') } });
    expect(byName['node-readiness']).toMatchObject({ selected: false, reason: 'disabled' });
    expect(byName.ping?.selected).toBe(true);
    expect(res.probes.filter((p) => p.selected).every((p) => p.after?.ok)).toBe(true);
  });
});
