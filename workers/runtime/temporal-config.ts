/**
 * Where and how a process reaches Temporal, from the environment (pure: reads only the object it is
 * given). Shared by every knmstate process (node agent, controller, CLI).
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `TEMPORAL_ADDRESS` | `localhost:7233` | Temporal frontend, `host:port` |
 * | `TEMPORAL_NAMESPACE` | `default` | |
 * | `TEMPORAL_API_KEY` | | sent as a Bearer token; turns TLS on |
 * | `TEMPORAL_TLS` | `false` | `1`/`true` for TLS with the system roots |
 * | `TEMPORAL_TLS_SERVER_CA_CERT_PATH`, `TEMPORAL_TLS_CLIENT_CERT_PATH`, `TEMPORAL_TLS_CLIENT_KEY_PATH`, `TEMPORAL_TLS_SERVER_NAME` | | TLS material (client cert and key go together); any of them turns TLS on |
 */
import { z } from 'zod';
import { ConfigError, issueLines } from './config-error.ts';

const nonEmpty = z.string().trim().min(1);

/** The zod shape of the Temporal variables; a process's own schema may `.extend()` it. */
export const temporalEnvShape = {
  TEMPORAL_ADDRESS: nonEmpty.regex(/^[^\s:]+:\d+$/, 'must be host:port').default('localhost:7233'),
  TEMPORAL_NAMESPACE: nonEmpty.default('default'),
  TEMPORAL_API_KEY: nonEmpty.optional(),
  TEMPORAL_TLS: z
    .enum(['1', '0', 'true', 'false', ''])
    .optional()
    .transform((v) => v === '1' || v === 'true'),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: nonEmpty.optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: nonEmpty.optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: nonEmpty.optional(),
  TEMPORAL_TLS_SERVER_NAME: nonEmpty.optional(),
};

const temporalEnvSchema = z.object(temporalEnvShape);

/** TLS material by file path; read when connecting. */
export interface TemporalTlsFiles {
  serverRootCACertificatePath?: string;
  clientCertPath?: string;
  clientKeyPath?: string;
  serverNameOverride?: string;
}

/** The validated Temporal settings. */
export interface TemporalConfig {
  address: string;
  namespace: string;
  apiKey?: string;
  /** `false`, `true` (system roots) or explicit material. */
  tls: boolean | TemporalTlsFiles;
}

/**
 * Checks the Temporal variables of `env`: the config, or the problems (each `VARIABLE: rule`). For a
 * process that validates variables of its own too and reports all problems together.
 */
export function checkTemporalEnv(env: Record<string, string | undefined>): { config: TemporalConfig; problems: [] } | { config?: undefined; problems: string[] } {
  const r = temporalEnvSchema.safeParse(env);
  const problems = r.success ? [] : issueLines(r.error.issues);
  const set = (k: string): boolean => !!env[k]?.trim();
  if (set('TEMPORAL_TLS_CLIENT_CERT_PATH') !== set('TEMPORAL_TLS_CLIENT_KEY_PATH')) {
    problems.push(`${set('TEMPORAL_TLS_CLIENT_CERT_PATH') ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH'}: client certificate and key must be given together`);
  }
  if (!r.success || problems.length) return { problems };
  const e = r.data;
  const tlsFiles = e.TEMPORAL_TLS_SERVER_CA_CERT_PATH || e.TEMPORAL_TLS_CLIENT_CERT_PATH || e.TEMPORAL_TLS_SERVER_NAME;
  const tls: TemporalConfig['tls'] = tlsFiles
    ? {
        ...(e.TEMPORAL_TLS_SERVER_CA_CERT_PATH ? { serverRootCACertificatePath: e.TEMPORAL_TLS_SERVER_CA_CERT_PATH } : {}),
        ...(e.TEMPORAL_TLS_CLIENT_CERT_PATH ? { clientCertPath: e.TEMPORAL_TLS_CLIENT_CERT_PATH, clientKeyPath: e.TEMPORAL_TLS_CLIENT_KEY_PATH! } : {}),
        ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME } : {}),
      }
    : e.TEMPORAL_TLS || !!e.TEMPORAL_API_KEY;
  return { config: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}), tls }, problems: [] };
}

/** The Temporal settings of `env`; throws {@link ConfigError} naming every bad variable. */
export function loadTemporalConfig(env: Record<string, string | undefined>): TemporalConfig {
  const r = checkTemporalEnv(env);
  if (!r.config) throw new ConfigError(r.problems, 'Temporal');
  return r.config;
}
