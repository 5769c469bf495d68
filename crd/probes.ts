/**
 * Probe settings: one shape for a policy's `spec.probes` once resolved ({@link resolveProbes}), for
 * the `probes` input of the node activity `applyNodeState`, and for a node agent's own defaults
 * (its environment). A rollout passes `planRollout(spec).probes` to every node as is; each node fills
 * what is left open from its agent's defaults, and those from {@link DEFAULT_PROBE_SETTINGS}.
 *
 * Every default is written here once. No I/O: workflow code may import this module.
 */
import { z } from 'zod';
import type { ProbesSpec } from './nncp.ts';
import { parseDuration } from './quantities.ts';

/** The connectivity probes, as upstream names them (in reports and failure messages). */
export const PROBE_NAMES = ['ping', 'dns', 'api-server', 'node-readiness'] as const;
/** One connectivity probe, as upstream names it. */
export type ProbeName = (typeof PROBE_NAMES)[number];
/** Schema of a {@link ProbeName}. */
export const probeNameSchema = z.enum(PROBE_NAMES);

/** The field of {@link ProbeSettings} (and of `spec.probes`) that holds each probe's settings. */
export const PROBE_FIELDS = { ping: 'ping', dns: 'dns', 'api-server': 'apiServer', 'node-readiness': 'nodeReadiness' } as const satisfies Record<ProbeName, string>;

/** Upstream's fixed probe timeout (`spec.probes.*.timeout` default). */
export const DEFAULT_PROBE_TIMEOUT = '120s';
/** Upstream's default DNS probe host (an NS lookup); a node agent's `PROBE_DNS_HOST` replaces it. */
export const DEFAULT_DNS_PROBE_HOST = 'root-servers.net';
/**
 * How long `ping` and `dns` may take to pass before the change to be selected. Upstream polls for
 * the full probe timeout (120 s, twice per apply); a probe that does not pass within a few seconds on
 * a healthy node will not pass later either, and every apply would pay for it.
 */
export const DEFAULT_PROBE_SELECT_TIMEOUT_MS = 5_000;
/** Pause between attempts of a probe (upstream's 1 s). */
export const DEFAULT_PROBE_INTERVAL_MS = 1_000;

const timeoutMs = z.number().int().min(1).max(600_000);
/** Schema of one probe's settings. */
export const probeSettingSchema = z.strictObject({ enabled: z.boolean(), timeoutMs });
/** One probe's settings: whether it runs, and how long it may poll after the change before it fails. */
export type ProbeSetting = z.infer<typeof probeSettingSchema>;

const dnsHost = z.string().min(1).max(253);
const selectTimeoutMs = z.number().int().min(0).max(600_000);
const intervalMs = z.number().int().min(10).max(60_000);

/** Schema of complete probe settings (what an apply runs with). */
export const probeSettingsSchema = z.strictObject({
  ping: probeSettingSchema,
  dns: probeSettingSchema.extend({ host: dnsHost }),
  apiServer: probeSettingSchema,
  nodeReadiness: probeSettingSchema,
  /** How long `ping` and `dns` may take to pass before the change to be selected (one bounded check). */
  selectTimeoutMs,
  /** Pause between attempts. */
  intervalMs,
});
/** Complete probe settings, as an apply runs with them. */
export type ProbeSettings = z.infer<typeof probeSettingsSchema>;

/** Schema of {@link ProbeSettingsInput}: every field optional. */
export const probeSettingsInputSchema = z.strictObject({
  ping: probeSettingSchema.partial().optional(),
  dns: probeSettingSchema.extend({ host: dnsHost }).partial().optional(),
  apiServer: probeSettingSchema.partial().optional(),
  nodeReadiness: probeSettingSchema.partial().optional(),
  selectTimeoutMs: selectTimeoutMs.optional(),
  intervalMs: intervalMs.optional(),
});
/** Probe settings with any field left open (filled from the agent's defaults): `applyNodeState`'s `probes`, an agent's defaults. */
export type ProbeSettingsInput = z.infer<typeof probeSettingsInputSchema>;

/** Upstream's settings: every probe on, 120 s each, DNS host root-servers.net; selection bounded by {@link DEFAULT_PROBE_SELECT_TIMEOUT_MS}. */
export const DEFAULT_PROBE_SETTINGS: ProbeSettings = Object.freeze({
  ping: { enabled: true, timeoutMs: parseDuration(DEFAULT_PROBE_TIMEOUT) },
  dns: { enabled: true, timeoutMs: parseDuration(DEFAULT_PROBE_TIMEOUT), host: DEFAULT_DNS_PROBE_HOST },
  apiServer: { enabled: true, timeoutMs: parseDuration(DEFAULT_PROBE_TIMEOUT) },
  nodeReadiness: { enabled: true, timeoutMs: parseDuration(DEFAULT_PROBE_TIMEOUT) },
  selectTimeoutMs: DEFAULT_PROBE_SELECT_TIMEOUT_MS,
  intervalMs: DEFAULT_PROBE_INTERVAL_MS,
});

/** Layers settings: each later input's set fields replace the earlier ones'. */
export function mergeProbeSettings(base: ProbeSettings, ...layers: (ProbeSettingsInput | undefined)[]): ProbeSettings {
  const defined = <T extends object>(o: T | undefined): Partial<T> => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
  let s: ProbeSettings = { ...base, ping: { ...base.ping }, dns: { ...base.dns }, apiServer: { ...base.apiServer }, nodeReadiness: { ...base.nodeReadiness } };
  for (const l of layers) {
    if (!l) continue;
    s = {
      ping: { ...s.ping, ...defined(l.ping) },
      dns: { ...s.dns, ...defined(l.dns) },
      apiServer: { ...s.apiServer, ...defined(l.apiServer) },
      nodeReadiness: { ...s.nodeReadiness, ...defined(l.nodeReadiness) },
      selectTimeoutMs: l.selectTimeoutMs ?? s.selectTimeoutMs,
      intervalMs: l.intervalMs ?? s.intervalMs,
    };
  }
  return s;
}

/** The settings of one probe, by its upstream name. */
export function probeSetting(s: ProbeSettings, name: ProbeName): ProbeSetting {
  return s[PROBE_FIELDS[name]];
}

/**
 * The same settings for every probe: a node agent's environment has one probe timeout and one DNS
 * host. Fields left out stay open.
 */
export function uniformProbeSettings(o: { timeoutMs?: number; selectTimeoutMs?: number; intervalMs?: number; dnsHost?: string }): ProbeSettingsInput {
  const one = o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {};
  return {
    ping: { ...one },
    dns: { ...one, ...(o.dnsHost !== undefined ? { host: o.dnsHost } : {}) },
    apiServer: { ...one },
    nodeReadiness: { ...one },
    ...(o.selectTimeoutMs !== undefined ? { selectTimeoutMs: o.selectTimeoutMs } : {}),
    ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
  };
}

/**
 * A policy's `spec.probes` resolved: every probe's `enabled` and timeout, upstream's values filled
 * in. The DNS host is set only when the policy names one: otherwise each node uses its agent's
 * `PROBE_DNS_HOST` (upstream's only setting for it). Selection timeout and interval stay the agent's.
 */
export type ResolvedProbes = Pick<ProbeSettings, 'ping' | 'apiServer' | 'nodeReadiness'> & { dns: ProbeSetting & { host?: string } };

/** Resolves `spec.probes`: every probe enabled unless disabled, 120 s unless set; see {@link ResolvedProbes}. */
export function resolveProbes(probes: ProbesSpec | undefined): ResolvedProbes {
  const one = (p: { enabled?: boolean | undefined; timeout?: string | undefined } | undefined, field: string): ProbeSetting => ({
    enabled: p?.enabled ?? true,
    timeoutMs: parseDuration(p?.timeout ?? DEFAULT_PROBE_TIMEOUT, `probes.${field}.timeout`),
  });
  const host = probes?.dns?.host;
  return {
    ping: one(probes?.ping, 'ping'),
    dns: { ...one(probes?.dns, 'dns'), ...(host !== undefined ? { host } : {}) },
    apiServer: one(probes?.apiServer, 'apiServer'),
    nodeReadiness: one(probes?.nodeReadiness, 'nodeReadiness'),
  };
}
