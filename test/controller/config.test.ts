/** The controller's environment: defaults, overrides, and errors that name the variable. */
import { describe, expect, it } from '@jest/globals';
import { parseControllerEnv, rolloutOptionVariable } from '../../workers/controller/config.ts';
import { ConfigError } from '../../workers/runtime/config-error.ts';

describe('parseControllerEnv', () => {
  it('given an empty environment, should use the defaults (cluster queue, in-cluster credentials)', () => {
    const c = parseControllerEnv({});
    expect(c).toMatchObject({ taskQueue: 'knmstate.cluster', concurrency: 8, healthPort: 8081, metricsPort: 9782, shutdownDeadlineMs: 30_000, rolloutOptions: {}, logLevel: 'info' });
    expect(c.kubeconfig).toBeUndefined();
    expect(c.temporal.address).toBe('localhost:7233');
  });

  it('given overrides, should take them', () => {
    const c = parseControllerEnv({ KUBECONFIG: '/k', KNMSTATE_TASK_QUEUE: 'q', KNMSTATE_HEALTH_PORT: '0', KNMSTATE_METRICS_PORT: '0', KNMSTATE_ROLLOUT_MAX_ATTEMPTS: '2', KNMSTATE_ROLLOUT_STATUS_INTERVAL_MS: '0', TEMPORAL_ADDRESS: 't:7233' });
    expect(c).toMatchObject({ kubeconfig: '/k', taskQueue: 'q', healthPort: 0, metricsPort: 0, rolloutOptions: { maxAttempts: 2, statusIntervalMs: 0 }, temporal: { address: 't:7233' } });
  });

  it.each([
    ['maxAttempts', 'KNMSTATE_ROLLOUT_MAX_ATTEMPTS'],
    ['nodeStartTimeoutMs', 'KNMSTATE_ROLLOUT_NODE_START_TIMEOUT_MS'],
  ] as const)('given option %s, should read it from %s', (k, v) => {
    expect(rolloutOptionVariable(k)).toBe(v);
  });

  it.each([
    [{ KNMSTATE_ROLLOUT_MAX_ATTEMPTS: '0' }, 'KNMSTATE_ROLLOUT_MAX_ATTEMPTS'],
    [{ KNMSTATE_HEALTH_PORT: 'x' }, 'KNMSTATE_HEALTH_PORT'],
    [{ KNMSTATE_METRICS_PORT: '70000' }, 'KNMSTATE_METRICS_PORT'],
    [{ KNMSTATE_RECONCILE_CONCURRENCY: '0' }, 'KNMSTATE_RECONCILE_CONCURRENCY'],
    [{ TEMPORAL_ADDRESS: 'nohost' }, 'TEMPORAL_ADDRESS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('given %j, should refuse it naming %s', (env, variable) => {
    let err: unknown;
    try {
      parseControllerEnv(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.join('\n')).toContain(variable);
  });
});
