/** The probes' pure parts: which gateway ping uses, the DNS servers, upstream's failure wording. */
import { describe, expect, it } from '@jest/globals';
import { defaultGateway, dnsServers, probeFailureMessage } from './probes.ts';
import { base, gwRoute } from '../../hack/fixtures/node-state.ts';

describe('probes (pure parts)', () => {
  it('given routes in several tables, should ping only the main-table default gateway', () => {
    expect(defaultGateway(base())).toEqual({ iface: 'eth0', address: '198.51.100.1' });
    expect(defaultGateway({ routes: { running: [{ ...gwRoute, 'table-id': 200 }] } })).toBeUndefined();
    expect(dnsServers(base())).toEqual(['198.51.100.1']);
  });

  it('given failed probes, should word the failure like upstream', () => {
    const msg = probeFailureMessage([{ name: 'ping', selected: true, after: { ok: false, message: 'ping -I eth0 198.51.100.254 failed', attempts: 3, durationMs: 3000 } }]);
    expect(msg).toBe("rolling back desired state configuration: failed runnig probes after network changes: failed runnig probe 'ping' with after network reconfiguration -> ping -I eth0 198.51.100.254 failed");
  });
});
