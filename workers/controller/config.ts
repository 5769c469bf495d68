/**
 * The controller's configuration from the environment, validated with zod (pure: reads only the
 * object it is given). Errors name the variable and the rule; every problem is reported at once.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `TEMPORAL_*` | | address, namespace, TLS, API key: workers/runtime/temporal-config.ts |
 * | `KUBECONFIG` | | kubeconfig file; in-cluster service account otherwise |
 * | `KNMSTATE_TASK_QUEUE` | `knmstate.cluster` | queue of the rollout workflows and cluster activities (tests use their own) |
 * | `KNMSTATE_POLICY_SELECTOR` | | label selector of the NNCPs this controller handles (e.g. `shard=a`); absent: all |
 * | `KNMSTATE_RECONCILE_CONCURRENCY` | `8` | policies reconciled at once |
 * | `KNMSTATE_HEALTH_PORT` | `8081` | `/healthz` and `/readyz`; `0` turns it off |
 * | `KNMSTATE_METRICS_PORT` | `9782` | Prometheus `/metrics` (workers/controller/metrics.ts); `0` turns it off |
 * | `KNMSTATE_SHUTDOWN_DEADLINE_SECONDS` | `30` | on SIGTERM, time for the worker to finish its tasks |
 * | `KNMSTATE_ROLLOUT_MAX_ATTEMPTS`, `…_RETRY_INTERVAL_MS`, `…_MAX_RETRY_INTERVAL_MS`, `…_NODE_START_TIMEOUT_MS`, `…_APPLY_TIMEOUT_MS`, `…_HEARTBEAT_TIMEOUT_MS`, `…_STATUS_INTERVAL_MS`, `…_MAX_HISTORY_EVENTS` | workflows/rollout-options.ts | engine settings passed to every rollout this controller starts |
 * | `LOG_LEVEL` | `info` | pino level |
 */
import { z } from 'zod';
import { CLUSTER_TASK_QUEUE } from '../../workflows/task-queues.ts';
import { DEFAULT_ROLLOUT_OPTIONS, type RolloutOptions } from '../../workflows/rollout-options.ts';
import { ConfigError, issueLines } from '../runtime/config-error.ts';
import { LOG_LEVELS } from '../runtime/logging.ts';
import { checkTemporalEnv, type TemporalConfig } from '../runtime/temporal-config.ts';

const nonEmpty = z.string().trim().min(1);

/** `maxAttempts` → `KNMSTATE_ROLLOUT_MAX_ATTEMPTS`. */
export function rolloutOptionVariable(key: keyof RolloutOptions): string {
  return `KNMSTATE_ROLLOUT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

const ROLLOUT_KEYS = Object.keys(DEFAULT_ROLLOUT_OPTIONS) as (keyof RolloutOptions)[];

const envSchema = z.object({
  KUBECONFIG: nonEmpty.optional(),
  KNMSTATE_TASK_QUEUE: nonEmpty.default(CLUSTER_TASK_QUEUE),
  KNMSTATE_POLICY_SELECTOR: nonEmpty.optional(),
  KNMSTATE_RECONCILE_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  KNMSTATE_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  KNMSTATE_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9782),
  KNMSTATE_SHUTDOWN_DEADLINE_SECONDS: z.coerce.number().int().min(1).default(30),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  ...Object.fromEntries(ROLLOUT_KEYS.map((k) => [rolloutOptionVariable(k), z.coerce.number().int().min(k === 'statusIntervalMs' ? 0 : 1).optional()])),
});

/** The validated configuration. */
export interface ControllerConfig {
  temporal: TemporalConfig;
  kubeconfig?: string;
  taskQueue: string;
  policySelector?: string;
  concurrency: number;
  healthPort: number;
  /** `/metrics` port; 0: no metrics. */
  metricsPort: number;
  shutdownDeadlineMs: number;
  /** Engine settings overridden by the environment (the rest keep their defaults). */
  rolloutOptions: RolloutOptions;
  logLevel: string;
}

/** Parses and validates the controller's environment. */
export function parseControllerEnv(env: Record<string, string | undefined>): ControllerConfig {
  const r = envSchema.safeParse(env);
  const temporal = checkTemporalEnv(env);
  const problems = [...temporal.problems, ...(r.success ? [] : issueLines(r.error.issues))];
  if (!r.success || !temporal.config || problems.length) throw new ConfigError(problems, 'controller');
  const e = r.data as z.infer<typeof envSchema> & Record<string, number | undefined>;
  const rolloutOptions: RolloutOptions = {};
  for (const k of ROLLOUT_KEYS) {
    const v = e[rolloutOptionVariable(k)];
    if (v !== undefined) rolloutOptions[k] = v;
  }
  return {
    temporal: temporal.config,
    ...(e.KUBECONFIG ? { kubeconfig: e.KUBECONFIG } : {}),
    taskQueue: e.KNMSTATE_TASK_QUEUE,
    ...(e.KNMSTATE_POLICY_SELECTOR ? { policySelector: e.KNMSTATE_POLICY_SELECTOR } : {}),
    concurrency: e.KNMSTATE_RECONCILE_CONCURRENCY,
    healthPort: e.KNMSTATE_HEALTH_PORT,
    metricsPort: e.KNMSTATE_METRICS_PORT,
    shutdownDeadlineMs: e.KNMSTATE_SHUTDOWN_DEADLINE_SECONDS * 1000,
    rolloutOptions,
    logLevel: e.LOG_LEVEL,
  };
}
