import { describe, expect, it } from '@jest/globals';
import { ConfigError } from './config-error.ts';
import { checkTemporalEnv, loadTemporalConfig } from './temporal-config.ts';

describe('Temporal settings from the environment', () => {
  it('given an empty environment, should reach a local dev server in the default namespace without TLS', () => {
    expect(loadTemporalConfig({})).toEqual({ address: 'localhost:7233', namespace: 'default', tls: false });
  });

  it('given an API key, should send it and turn TLS on', () => {
    expect(loadTemporalConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'k' })).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      namespace: 'ns.acct',
      apiKey: 'k',
      tls: true,
    });
  });

  it('given TLS files, should keep their paths (read at connection time)', () => {
    expect(loadTemporalConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca', TEMPORAL_TLS_CLIENT_CERT_PATH: '/c', TEMPORAL_TLS_CLIENT_KEY_PATH: '/k', TEMPORAL_TLS_SERVER_NAME: 'temporal' }).tls).toEqual({
      serverRootCACertificatePath: '/ca',
      clientCertPath: '/c',
      clientKeyPath: '/k',
      serverNameOverride: 'temporal',
    });
    expect(loadTemporalConfig({ TEMPORAL_TLS: 'true' }).tls).toBe(true);
  });

  it('given bad values, should throw a ConfigError naming every variable and its rule', () => {
    let err: unknown;
    try {
      loadTemporalConfig({ TEMPORAL_ADDRESS: 'nohost', TEMPORAL_TLS: 'yes', TEMPORAL_TLS_CLIENT_KEY_PATH: '/k' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^TEMPORAL_ADDRESS: must be host:port/),
        expect.stringMatching(/^TEMPORAL_TLS: /),
        'TEMPORAL_TLS_CLIENT_CERT_PATH: client certificate and key must be given together',
      ]),
    );
    expect(problems).toHaveLength(3);
  });

  it('given good values, should report no problems to a process that checks variables of its own too', () => {
    expect(checkTemporalEnv({ TEMPORAL_NAMESPACE: 'knmstate' })).toEqual({ config: { address: 'localhost:7233', namespace: 'knmstate', tls: false }, problems: [] });
  });
});
