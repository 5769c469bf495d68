import { describe, expect, it } from '@jest/globals';
import { nmDiffs, nmUndoPlan, parseNmView, splitTerse } from './nm-view.ts';

const RUN = '/run/NetworkManager/system-connections';
const ETC = '/etc/NetworkManager/system-connections';
/** A fresh node: eth0 configured outside NetworkManager, eth1 and eth2 managed without a profile. */
const before = parseNmView(
  ['eth0:connected (externally):u-gen0', 'lo:connected (externally):u-lo', 'eth1:disconnected:', 'eth2:disconnected:'].join('\n'),
  [`u-gen0:eth0:802-3-ethernet:eth0:${RUN}/eth0.nmconnection`, `u-lo:lo:loopback:lo:${RUN}/lo.nmconnection`].join('\n'),
);
const all = (): boolean => true;

describe('NetworkManager view: devices and profiles', () => {
  it("given nmcli's terse output, should split on ':' but not on an escaped '\\:'", () => {
    expect(splitTerse('a\\:b:c::d')).toEqual(['a:b', 'c', '', 'd']);
    expect(before.devices[0]).toEqual({ name: 'eth0', state: 'connected (externally)', uuid: 'u-gen0' });
    expect(before.profiles[0]).toMatchObject({ uuid: 'u-gen0', device: 'eth0', iface: 'eth0' });
  });

  it('given eth0 taken over by a rollback (its generated profile now on disk and activated), should delete that profile and hand eth0 back', () => {
    const now = parseNmView(
      ['eth0:connected:u-gen0', 'lo:connected (externally):u-lo', 'eth1:disconnected:', 'eth2:disconnected:'].join('\n'),
      [`u-gen0:eth0:802-3-ethernet:eth0:${ETC}/eth0.nmconnection`, `u-lo:lo:loopback:lo:${RUN}/lo.nmconnection`].join('\n'),
    );
    const plan = nmUndoPlan(before, now, all);
    expect(plan.deleteProfiles.map((p) => p.uuid)).toEqual(['u-gen0']);
    expect(plan.handBack).toEqual(['eth0']);
    expect(nmDiffs(before, now, all)).toEqual([
      'networkmanager device eth0: connected (externally) → connected',
      `networkmanager profile: missing eth0 (802-3-ethernet) ${RUN}/eth0.nmconnection`,
      `networkmanager profile: extra eth0 (802-3-ethernet) ${ETC}/eth0.nmconnection`,
    ]);
  });

  it('given an inactive profile a revert left behind, should delete it, but not the new generated profile of an external device (its UUID is new every time)', () => {
    const now = parseNmView(
      ['eth0:connected (externally):u-gen1', 'lo:connected (externally):u-lo', 'eth1:disconnected:', 'eth2:disconnected:'].join('\n'),
      [`u-gen1:eth0:802-3-ethernet:eth0:${RUN}/eth0.nmconnection`, `u-lo:lo:loopback:lo:${RUN}/lo.nmconnection`, `u-eth2:eth2:802-3-ethernet::${ETC}/eth2.nmconnection`].join('\n'),
    );
    const plan = nmUndoPlan(before, now, all);
    expect(plan).toEqual({ deleteProfiles: [{ uuid: 'u-eth2', why: `profile eth2 (${ETC}/eth2.nmconnection) did not exist` }], handBack: [] });
    expect(nmDiffs(before, now, all)).toEqual([`networkmanager profile: extra eth2 (802-3-ethernet) ${ETC}/eth2.nmconnection`]);
    expect(nmUndoPlan(before, now, (i) => i !== 'eth2').deleteProfiles).toEqual([]);
  });
});
