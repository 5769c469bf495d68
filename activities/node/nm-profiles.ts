/**
 * NetworkManager's devices and profiles through `nmcli` on the node's bus (the node's exec carries
 * `DBUS_SYSTEM_BUS_ADDRESS` for a simulated node): read them, delete profiles, wait for device
 * states. The decisions are in ./nm-view.ts.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { KnmstateError } from '../../crd/errors.ts';
import type { NodeExec } from '../nmstate/exec.ts';
import { parseNmView, type NmDevice, type NmView } from './nm-view.ts';

/** Thrown when nmcli fails to read NetworkManager (out of reach on D-Bus, or nmcli missing): retryable. */
export class NmcliError extends KnmstateError {
  constructor(message: string) {
    super('NetworkManagerUnavailable', message);
  }
}

async function nmcli(exec: NodeExec, bin: string, args: string[]): Promise<string> {
  const r = await exec.run(bin, args, { timeoutMs: 15_000 });
  if (r.exitCode !== 0) throw new NmcliError(`nmcli ${args.join(' ')} on ${exec.where} failed (${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** Devices and profiles as nmcli shows them; inactive profiles get their `connection.interface-name`. */
export async function captureNmView(exec: NodeExec, bin = 'nmcli'): Promise<NmView> {
  const [devices, profiles] = await Promise.all([
    nmcli(exec, bin, ['-t', '-f', 'DEVICE,STATE,CON-UUID', 'device']),
    nmcli(exec, bin, ['-t', '-f', 'UUID,NAME,TYPE,DEVICE,FILENAME', 'connection', 'show']),
  ]);
  const view = parseNmView(devices, profiles);
  await Promise.all(
    view.profiles
      .filter((p) => !p.device)
      .map(async (p) => {
        const name = (await nmcli(exec, bin, ['-g', 'connection.interface-name', 'connection', 'show', 'uuid', p.uuid]).catch(() => '')).trim();
        if (name) p.iface = name;
      }),
  );
  return view;
}

/** Deletes profiles by UUID; returns one action text each (with the error when it failed). */
export async function deleteProfiles(exec: NodeExec, items: { uuid: string; why: string }[], bin = 'nmcli'): Promise<string[]> {
  const out: string[] = [];
  for (const { uuid, why } of items) {
    const r = await exec.run(bin, ['connection', 'delete', 'uuid', uuid], { timeoutMs: 15_000 });
    out.push(`delete NetworkManager profile ${uuid}: ${why}${r.exitCode === 0 ? '' : ` (failed: ${r.stderr.trim()})`}`);
  }
  return out;
}

/**
 * Waits until every device in `names` satisfies `ok` (polling nmcli), at most `timeoutMs`; returns
 * the devices that did not (empty = all did).
 */
export async function waitForDevices(exec: NodeExec, names: string[], ok: (d: NmDevice | undefined) => boolean, timeoutMs = 10_000, bin = 'nmcli'): Promise<NmDevice[]> {
  if (!names.length) return [];
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const view = parseNmView(await nmcli(exec, bin, ['-t', '-f', 'DEVICE,STATE,CON-UUID', 'device']), '');
    const bad = names.map((n) => ({ n, d: view.devices.find((d) => d.name === n) })).filter(({ d }) => !ok(d));
    if (!bad.length) return [];
    if (performance.now() > deadline) return bad.map(({ n, d }) => d ?? { name: n, state: 'missing', uuid: undefined });
    await delay(50);
  }
}

/** Deactivates and activates a profile again (NetworkManager then sets up the device's routes afresh); one action text. */
export async function reactivateProfile(exec: NodeExec, uuid: string, device: string, bin = 'nmcli'): Promise<string> {
  const down = await exec.run(bin, ['connection', 'down', 'uuid', uuid], { timeoutMs: 30_000 });
  const up = await exec.run(bin, ['connection', 'up', 'uuid', uuid], { timeoutMs: 60_000 });
  const err = [down, up].find((r) => r.exitCode !== 0);
  return `re-activate ${device}'s profile ${uuid} (NetworkManager had changed its routes)${err ? ` (failed: ${err.stderr.trim()})` : ''}`;
}
