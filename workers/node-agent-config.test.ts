/** The node agent's configuration from the environment (pure). */
import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseNodeAgentEnv } from './node-agent-config.ts';
import { DEFAULT_PROBE_SETTINGS, mergeProbeSettings } from '../crd/probes.ts';

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
