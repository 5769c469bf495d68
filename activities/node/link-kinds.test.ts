/** Which new interfaces need a link kind the kernel may lack, and how the kernel's answers are read (pure). */
import { describe, expect, it } from '@jest/globals';
import { interpretProbe } from './kernel-support.ts';
import { linksToCreate } from './link-kinds.ts';
import { base } from '../../hack/fixtures/node-state.ts';

describe('kernel link kinds (fail fast on what the kernel cannot create)', () => {
  const current = base();
  it('given new interfaces of kernel kinds, should list only those to be created, with the module that provides each', () => {
    const desired = {
      interfaces: [
        { name: 'eth1.10', type: 'vlan', state: 'up', vlan: { 'base-iface': 'eth1', id: 10 } },
        { name: 'bond0', type: 'bond' },
        { name: 'eth1', type: 'ethernet', state: 'up' },
        { name: 'eth2', type: 'veth', state: 'up' },
        { name: 'br9', type: 'linux-bridge', state: 'absent' },
        { name: 'ovs0', type: 'ovs-bridge', state: 'up' },
      ],
    };
    expect(linksToCreate(desired, current)).toEqual([
      { path: 'interfaces[0]', name: 'eth1.10', type: 'vlan', kind: 'vlan', module: '8021q' },
      { path: 'interfaces[1]', name: 'bond0', type: 'bond', kind: 'bond', module: 'bonding' },
    ]);
    expect(linksToCreate({ routes: { config: [] } }, current)).toEqual([]);
  });

  it("given the kernel's answers to `ip link add knmprobe0 type <kind>`, should tell unknown kinds from known ones that only lack arguments", () => {
    expect(interpretProbe(0, '')).toEqual({ supported: true });
    expect(interpretProbe(2, 'Error: Unknown device type.\n')).toEqual({ supported: false, detail: 'Error: Unknown device type.' });
    expect(interpretProbe(2, 'RTNETLINK answers: Operation not supported\n')).toMatchObject({ supported: false });
    expect(interpretProbe(2, 'Error: Required attributes not provided to perform the operation.\n')).toEqual({ supported: true });
    expect(interpretProbe(2, 'RTNETLINK answers: Invalid argument\n')).toEqual({ supported: true });
    expect(interpretProbe(1, 'unshare: unshare failed: Operation not permitted\n').supported).toBeUndefined();
    expect(interpretProbe(127, 'Command failed with ENOENT: unshare').supported).toBeUndefined();
  });
});
