/**
 * Connectivity probes, as upstream defines them (pkg/probe/probes.go):
 * - `ping`: the IPv4/IPv6 default route of the main table (254) in `nmstatectl show`, then
 *   `ping -I <next-hop-interface> -c 1 <next-hop-address>`; no such route: `default gw missing`;
 * - `dns`: resolve the probe host through each server of `dns-resolver.running.server` (any one
 *   answering passes; `root-servers.net`, the default, is an NS lookup);
 * - `api-server`: a fresh client GETs namespace `default`;
 * - `node-readiness`: this node's Node object has `Ready=True`.
 * `ping` and `dns` are selected only if they pass before the change; the other two always are. Each
 * probe is polled (default every 1 s for up to its timeout, 120 s). Unlike upstream, selection is one
 * short bounded check (`selectTimeoutMs`, default 5 s, each attempt cut to what is left of it) instead
 * of up to 120 s per probe, a missing precondition (no default route, no DNS server) ends it at once,
 * every decision is reported with its reason and duration, and the probes of one phase run in
 * parallel. Settings and defaults: crd/probes.ts. Upstream's ping and dns each call `nmstatectl
 * show`; here the probes of one round share one call ({@link sharedShow}), and selection's first
 * round reads the snapshot the apply has just taken: two `show`s per apply instead of five.
 *
 * Simulation limit: ping and DNS run inside the node's namespace (through its NodeExec), but the
 * API probes run from the agent process, i.e. the host namespace.
 */
import { Resolver } from 'node:dns/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import type { KubeClient } from '../kube/client.ts';
import type { NodeExec } from '../nmstate/exec.ts';
import type { NetworkState } from '../../crd/network-state.ts';
import { PROBE_NAMES, probeSetting, type ProbeName, type ProbeSettings } from '../../crd/probes.ts';
import type { ProbeOutcome, ProbeReport } from './contract.ts';
import { KnmstateError } from '../../crd/errors.ts';
import { isObj } from '../../crd/json.ts';

/** Resolves `host` through DNS server `server`; resolves with a short answer text, rejects on failure. */
export type DnsLookup = (server: string, host: string, timeoutMs: number, signal?: AbortSignal) => Promise<string>;

/** What the probes need from the node. */
export interface ProbeContext {
  node: string;
  exec: NodeExec;
  /** The node's current state. */
  show(): Promise<NetworkState>;
  /** Path of ping. */
  pingBin: string;
  dnsLookup: DnsLookup;
  kube: KubeClient;
}

/** A probe attempt failed; `unavailable` means its precondition is missing (nothing to probe). */
export class ProbeError extends KnmstateError {
  readonly unavailable: boolean;
  constructor(message: string, unavailable = false) {
    super('ProbeFailed', message);
    this.unavailable = unavailable;
  }
}

/** The main-table default gateway of a state (IPv4 first), as upstream's ping probe finds it. */
export function defaultGateway(state: NetworkState): { iface: string; address: string } | undefined {
  const running = isObj(state.routes) && Array.isArray(state.routes.running) ? (state.routes.running as unknown[]) : [];
  const routes = running.filter(isObj).filter((r) => (r.destination === '0.0.0.0/0' || r.destination === '::/0') && (r['table-id'] ?? 254) === 254);
  routes.sort((a, b) => (a.destination === '0.0.0.0/0' ? 0 : 1) - (b.destination === '0.0.0.0/0' ? 0 : 1));
  for (const r of routes) {
    if (typeof r['next-hop-interface'] === 'string' && typeof r['next-hop-address'] === 'string') return { iface: r['next-hop-interface'], address: r['next-hop-address'] };
  }
  return undefined;
}

/** `dns-resolver.running.server` of a state. */
export function dnsServers(state: NetworkState): string[] {
  const dns = state['dns-resolver'];
  const running = isObj(dns) && isObj(dns.running) ? dns.running : {};
  return Array.isArray(running.server) ? (running.server as unknown[]).map(String) : [];
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, delay(ms, undefined, { ref: false }).then(() => Promise.reject(new ProbeError(`${what} timed out after ${ms} ms`)))]);

/** One attempt of each probe; `budgetMs` is what is left of the poll (an attempt does not outlast it by much). */
const probes: Record<ProbeName, (ctx: ProbeContext, s: ProbeSettings, budgetMs: number, signal?: AbortSignal) => Promise<string>> = {
  async ping(ctx, _s, budgetMs, signal) {
    const gw = defaultGateway(await ctx.show());
    if (!gw) throw new ProbeError('default gw missing', true);
    const r = await ctx.exec.run(ctx.pingBin, ['-I', gw.iface, '-c', '1', '-W', '1', gw.address], { timeoutMs: Math.min(5_000, Math.max(1_500, budgetMs)), ...(signal ? { signal } : {}) });
    if (r.exitCode !== 0) throw new ProbeError(`ping -I ${gw.iface} ${gw.address} failed: ${(r.stdout + r.stderr).trim().split('\n').pop() ?? `exit ${r.exitCode}`}`);
    return `ping -I ${gw.iface} ${gw.address} answered`;
  },
  async dns(ctx, s, budgetMs, signal) {
    const servers = dnsServers(await ctx.show());
    if (!servers.length) throw new ProbeError('no DNS servers in dns-resolver.running', true);
    const host = s.dns.host;
    const results = await Promise.allSettled(servers.map((srv) => ctx.dnsLookup(srv, host, Math.min(2_000, Math.max(500, budgetMs)), signal).then((answer) => `${srv}: ${answer}`)));
    const ok = results.find((r): r is PromiseFulfilledResult<string> => r.status === 'fulfilled');
    if (ok) return `resolved ${host} via ${ok.value}`;
    throw new ProbeError(`no DNS server resolved ${host}: ${results.map((r, i) => `${servers[i]}: ${r.status === 'rejected' ? (r.reason as Error).message : ''}`).join('; ')}`);
  },
  async 'api-server'(ctx) {
    // A fresh connection each time, as upstream's uncached client: a cached one can outlive the network change.
    await withTimeout(ctx.kube.request('GET', '/api/v1/namespaces/default', undefined, { fresh: true, timeoutMs: 10_000 }), 11_000, 'GET namespace default');
    return 'GET namespace default succeeded';
  },
  async 'node-readiness'(ctx) {
    type Node = { status?: { conditions?: { type: string; status: string }[] } };
    const node = await withTimeout(ctx.kube.request<Node>('GET', `/api/v1/nodes/${encodeURIComponent(ctx.node)}`, undefined, { fresh: true, timeoutMs: 10_000 }), 11_000, `GET node ${ctx.node}`);
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') throw new ProbeError(`node ${ctx.node} is not Ready (Ready=${ready?.status ?? 'missing'})`);
    return `node ${ctx.node} is Ready`;
  },
};

/**
 * `show` for one phase of probes: calls that overlap share one nmstatectl call, and a result is
 * reused by calls that start within `maxAgeMs` of the call that produced it (ping and dns poll in
 * step, so each round reads the state once); a failed call is never reused. `seed`, a state read
 * just before (the apply's snapshot), answers the first round. A retry, `intervalMs` later, always
 * reads the state again.
 */
export function sharedShow(show: () => Promise<NetworkState>, opts: { maxAgeMs: number; seed?: NetworkState; now?: () => number }): () => Promise<NetworkState> {
  const now = opts.now ?? (() => performance.now());
  let last: { at: number; state: Promise<NetworkState> } | undefined = opts.seed ? { at: now(), state: Promise.resolve(opts.seed) } : undefined;
  return () => {
    const t = now();
    if (last && t - last.at <= opts.maxAgeMs) return last.state;
    const entry = { at: t, state: show() };
    last = entry;
    entry.state.catch(() => {
      if (last === entry) last = undefined;
    });
    return entry.state;
  };
}

/** The context of one phase of probes: its `show` shared by the probes ({@link sharedShow}). */
function phaseContext(ctx: ProbeContext, s: ProbeSettings, seed?: NetworkState): ProbeContext {
  return { ...ctx, show: sharedShow(() => ctx.show(), { maxAgeMs: Math.floor(s.intervalMs / 2), ...(seed ? { seed } : {}) }) };
}

/**
 * Polls one probe until it passes or `timeoutMs` ends. With `stopWhenUnavailable`, a missing
 * precondition ends the poll at once (selection).
 */
export async function pollProbe(name: ProbeName, ctx: ProbeContext, s: ProbeSettings, timeoutMs: number, opts: { signal?: AbortSignal; stopWhenUnavailable?: boolean } = {}): Promise<ProbeOutcome> {
  const started = performance.now();
  let attempts = 0;
  let last: string;
  for (;;) {
    opts.signal?.throwIfAborted();
    attempts++;
    try {
      const message = await probes[name](ctx, s, Math.max(0, Math.floor(timeoutMs - (performance.now() - started))), opts.signal);
      return { ok: true, message, attempts, durationMs: Math.round(performance.now() - started) };
    } catch (err) {
      opts.signal?.throwIfAborted();
      last = err instanceof Error ? err.message : String(err);
      if (opts.stopWhenUnavailable && err instanceof ProbeError && err.unavailable) break;
    }
    if (performance.now() - started + s.intervalMs > timeoutMs) break;
    await delay(s.intervalMs, undefined, opts.signal ? { signal: opts.signal } : {});
  }
  return { ok: false, message: last, attempts, durationMs: Math.round(performance.now() - started) };
}

/**
 * Chooses the probes to run after the change: ping and dns only if they pass now, within one
 * bounded check (`selectTimeoutMs`); api-server and node-readiness always. Every report says why.
 * `snapshot`, the state the apply has just read, answers the first round instead of another `show`.
 */
export async function selectProbes(ctx: ProbeContext, s: ProbeSettings, signal?: AbortSignal, snapshot?: NetworkState): Promise<ProbeReport[]> {
  const phase = phaseContext(ctx, s, snapshot);
  return Promise.all(
    PROBE_NAMES.map(async (name): Promise<ProbeReport> => {
      if (!probeSetting(s, name).enabled) return { name, selected: false, reason: 'disabled' };
      if (name === 'api-server' || name === 'node-readiness') return { name, selected: true, reason: 'always selected' };
      const before = await pollProbe(name, phase, s, s.selectTimeoutMs, { ...(signal ? { signal } : {}), stopWhenUnavailable: true });
      return before.ok
        ? { name, selected: true, reason: `passed before the change (${before.durationMs} ms)`, before }
        : { name, selected: false, reason: `WARNING not selecting ${name} probe: it did not pass before the change (checked for ${before.durationMs} ms, ${before.attempts} attempt${before.attempts === 1 ? '' : 's'}, selection timeout ${s.selectTimeoutMs} ms): ${before.message}`, before };
    }),
  );
}

/** The longest after-change timeout among the selected probes (they run in parallel). */
export function selectedProbesTimeoutMs(reports: readonly ProbeReport[], s: ProbeSettings): number {
  return Math.max(0, ...reports.filter((r) => r.selected).map((r) => probeSetting(s, r.name).timeoutMs));
}

/** Runs the selected probes (in parallel); fills `after` (or `afterRollback`) and returns the failed ones. */
export async function runProbes(reports: ProbeReport[], ctx: ProbeContext, s: ProbeSettings, field: 'after' | 'afterRollback', signal?: AbortSignal): Promise<ProbeReport[]> {
  const phase = phaseContext(ctx, s);
  await Promise.all(
    reports
      .filter((r) => r.selected)
      .map(async (r) => {
        r[field] = await pollProbe(r.name, phase, s, probeSetting(s, r.name).timeoutMs, signal ? { signal } : {});
      }),
  );
  return reports.filter((r) => r.selected && r[field] && !r[field].ok);
}

/** Upstream's message for a probe that failed after the change (sic: "runnig"). */
export function probeFailureMessage(failed: ProbeReport[]): string {
  const first = failed[0];
  const detail = failed.map((r) => `failed runnig probe '${r.name}' with after network reconfiguration -> ${r.after?.message ?? 'no result'}`).join('; ');
  return first ? `rolling back desired state configuration: failed runnig probes after network changes: ${detail}` : '';
}

const dnsHelper = fileURLToPath(new URL('./dns-lookup.mjs', import.meta.url));

async function lookup(resolver: Resolver, host: string): Promise<string> {
  if (host === 'root-servers.net') return `NS ${(await resolver.resolveNs(host)).length} records`;
  try {
    return `A ${(await resolver.resolve4(host)).join(',')}`;
  } catch {
    return `AAAA ${(await resolver.resolve6(host)).join(',')}`;
  }
}

/** DNS lookups from the agent's own process: for a real node (hostNetwork), where the agent shares the node's network. */
export const inProcessDnsLookup: DnsLookup = async (server, host, timeoutMs) => {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers([server]);
  return withTimeout(lookup(resolver, host), timeoutMs + 500, `DNS lookup of ${host} via ${server}`);
};

/**
 * DNS lookups inside the node's namespace: runs activities/node/dns-lookup.mjs with this Node binary
 * through `exec` (a simulated node; the agent process itself stays in the host namespace).
 */
export function execDnsLookup(exec: NodeExec, nodeBin: string = process.execPath): DnsLookup {
  return async (server, host, timeoutMs, signal) => {
    const r = await exec.run(nodeBin, ['--no-warnings', dnsHelper, server, host, String(timeoutMs)], { timeoutMs: timeoutMs + 3_000, ...(signal ? { signal } : {}) });
    if (r.exitCode !== 0) throw new ProbeError(r.stderr.trim() || `exit ${r.exitCode}`);
    return r.stdout.trim();
  };
}

