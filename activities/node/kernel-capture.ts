/**
 * Reads a node's kernel view with iproute2 and runs `ip -batch` lines on it (./kernel-view.ts has the
 * pure logic). Both go through the node's exec, so a simulated node is read inside its namespace.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { KnmstateError } from '../../crd/errors.ts';
import type { NodeExec } from '../nmstate/exec.ts';
import { parseKernelView, type KernelView } from './kernel-view.ts';

/** Thrown when iproute2 fails to report the node's network (retryable, as an nmstatectl failure is). */
export class KernelViewError extends KnmstateError {
  constructor(message: string) {
    super('NmstateFailed', message);
  }
}

async function json(exec: NodeExec, ip: string, args: string[]): Promise<unknown> {
  const r = await exec.run(ip, ['-j', ...args], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) throw new KernelViewError(`ip -j ${args.join(' ')} on ${exec.where} failed (${r.exitCode}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout || '[]') as unknown;
}

/**
 * `ip -d -j -batch -` of `commands`: one JSON document per command, one per line (one process
 * instead of one per command: on a loaded node each `ip netns exec` costs tens of milliseconds).
 */
async function jsonBatch(exec: NodeExec, ip: string, commands: string[]): Promise<unknown[]> {
  const r = await exec.run(ip, ['-d', '-j', '-batch', '-'], { input: `${commands.join('\n')}\n`, timeoutMs: 10_000 });
  const lines = r.stdout.split('\n').filter((l) => l.trim());
  if (r.exitCode !== 0 || lines.length !== commands.length) throw new KernelViewError(`ip -j -batch (${commands.join('; ')}) on ${exec.where} failed (${r.exitCode}): ${r.stderr.trim()}`);
  return lines.map((l) => JSON.parse(l) as unknown);
}

/** The node's links, addresses and routes (all tables, both families), as `ip -d -j …` reports them. */
export async function captureKernelView(exec: NodeExec, ip = 'ip'): Promise<KernelView> {
  const [[links, addrs, routes], r6] = await Promise.all([jsonBatch(exec, ip, ['link show', 'address show', 'route show table all']), json(exec, ip, ['-d', '-6', 'route', 'show', 'table', 'all'])]);
  // `route show table all` in a batch lists both families; the IPv6 ones are those `-6` lists.
  const v6 = new Set((Array.isArray(r6) ? r6 : []).map((r) => JSON.stringify(r)));
  const r4 = (Array.isArray(routes) ? routes : []).filter((r) => !v6.has(JSON.stringify(r)));
  const names = Array.isArray(links) ? (links as { ifname?: unknown }[]).map((l) => String(l.ifname)).filter((n) => /^[\w.@:-]+$/.test(n)) : [];
  return parseKernelView(links, addrs, r4, r6, await readDisableIpv6(exec, names));
}

/** `net.ipv6.conf.<link>.disable_ipv6` of each link (links without the sysctl, e.g. IPv6 off in the kernel, are left out). */
async function readDisableIpv6(exec: NodeExec, names: string[]): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  if (!names.length) return out;
  const r = await exec.run('grep', ['-H', '.', ...names.map((n) => `/proc/sys/net/ipv6/conf/${n}/disable_ipv6`)], { timeoutMs: 10_000 });
  for (const line of r.stdout.split('\n')) {
    const m = /^\/proc\/sys\/net\/ipv6\/conf\/(.+)\/disable_ipv6:(\d)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2] === '1');
  }
  return out;
}

/** Switches IPv6 of links on or off (`sysctl -w net/ipv6/conf/<link>/disable_ipv6=…`); one action text each. */
export async function setIpv6(exec: NodeExec, items: { link: string; disable: boolean }[]): Promise<string[]> {
  const out: string[] = [];
  for (const { link, disable } of items) {
    const r = await exec.run('sysctl', ['-qw', `net/ipv6/conf/${link}/disable_ipv6=${disable ? 1 : 0}`], { timeoutMs: 10_000 });
    out.push(`IPv6 ${disable ? 'off' : 'on'} on ${link}${r.exitCode === 0 ? '' : ` (failed: ${r.stderr.trim()})`}`);
  }
  return out;
}

/**
 * Runs `lines` with `ip -force -batch -` (every line is tried; failures do not stop the rest) and
 * returns one action text per line, with the error when it failed.
 */
export async function runIpBatch(exec: NodeExec, lines: string[], ip = 'ip'): Promise<string[]> {
  if (!lines.length) return [];
  const r = await exec.run(ip, ['-force', '-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: 10_000 });
  if (r.exitCode === 0) return lines.map((l) => `ip ${l}`);
  // iproute2 names failed lines as "Command failed -:<n>"; the error text comes on the line before.
  const failed = new Map<number, string>();
  const errs = r.stderr.split('\n');
  errs.forEach((l, i) => {
    const m = /^Command failed -:(\d+)/.exec(l);
    if (m) failed.set(Number(m[1]), (errs[i - 1] ?? '').trim());
  });
  return lines.map((l, i) => (failed.has(i + 1) ? `ip ${l}: ${failed.get(i + 1)}` : `ip ${l}`));
}

/**
 * Waits until no address on `devices` is still in IPv6 duplicate address detection (`tentative`;
 * the kernel adds its `local` route only after it), at most `timeoutMs`; returns the addresses still
 * tentative then (empty = done).
 */
export async function waitForDad(exec: NodeExec, devices: ReadonlySet<string>, timeoutMs = 5_000, ip = 'ip'): Promise<string[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const addrs = (await json(exec, ip, ['-6', 'address', 'show'])) as { ifname?: string; addr_info?: { local?: string; tentative?: boolean }[] }[];
    const tentative = addrs.filter((a) => a.ifname && devices.has(a.ifname)).flatMap((a) => (a.addr_info ?? []).filter((i) => i.tentative).map((i) => `${a.ifname} ${i.local}`));
    if (!tentative.length || performance.now() > deadline) return tentative;
    await delay(50);
  }
}
