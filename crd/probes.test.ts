import { describe, expect, it } from '@jest/globals';
import { DEFAULT_PROBE_SETTINGS, mergeProbeSettings, probeSetting, probeSettingsInputSchema, resolveProbes, uniformProbeSettings } from './probes.ts';

describe('probe settings', () => {
  it('given nothing, should be upstream: every probe on for 120 s, DNS host root-servers.net, 1 s apart; selection bounded to 5 s', () => {
    expect(DEFAULT_PROBE_SETTINGS).toEqual({
      ping: { enabled: true, timeoutMs: 120_000 },
      dns: { enabled: true, timeoutMs: 120_000, host: 'root-servers.net' },
      apiServer: { enabled: true, timeoutMs: 120_000 },
      nodeReadiness: { enabled: true, timeoutMs: 120_000 },
      selectTimeoutMs: 5_000,
      intervalMs: 1_000,
    });
  });

  it("given a policy's resolved probes over an agent's defaults, should keep the agent's DNS host when the policy names none", () => {
    const agent = uniformProbeSettings({ dnsHost: 'gateway.knmstate.test', timeoutMs: 3_000, selectTimeoutMs: 2_000 });
    const s = mergeProbeSettings(DEFAULT_PROBE_SETTINGS, agent, resolveProbes({ ping: { timeout: '30s' }, nodeReadiness: { enabled: false } }));
    expect(s.dns).toEqual({ enabled: true, timeoutMs: 120_000, host: 'gateway.knmstate.test' });
    expect(s.ping.timeoutMs).toBe(30_000);
    expect(probeSetting(s, 'node-readiness').enabled).toBe(false);
    expect(s.selectTimeoutMs).toBe(2_000);
    expect(mergeProbeSettings(DEFAULT_PROBE_SETTINGS, agent, resolveProbes({ dns: { host: 'example.org' } })).dns.host).toBe('example.org');
  });

  it('given fields left undefined, should not erase the layer below', () => {
    expect(mergeProbeSettings(DEFAULT_PROBE_SETTINGS, { ping: { enabled: undefined, timeoutMs: 7_000 } }).ping).toEqual({ enabled: true, timeoutMs: 7_000 });
  });

  it('given a resolved policy, should be a valid apply input as is; an unknown field or the old flat shape should not', () => {
    expect(probeSettingsInputSchema.safeParse(resolveProbes(undefined)).success).toBe(true);
    expect(probeSettingsInputSchema.safeParse({ timeoutSeconds: 30 }).success).toBe(false);
    expect(probeSettingsInputSchema.safeParse({ ping: { timeoutMs: 0 } }).success).toBe(false);
  });
});
