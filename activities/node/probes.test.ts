/** The probes' pure parts: which gateway ping uses, the DNS servers, upstream's failure wording, the shared `show`. */
import { describe, expect, it } from '@jest/globals';
import { defaultGateway, dnsServers, probeFailureMessage, sharedShow } from './probes.ts';
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

  describe('sharedShow', () => {
    const setup = (seed?: Record<string, unknown>) => {
      let clock = 0;
      const calls: Array<{ resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }> = [];
      const show = sharedShow(() => new Promise((resolve, reject) => calls.push({ resolve, reject })), { maxAgeMs: 500, ...(seed ? { seed } : {}), now: () => clock });
      return { show, calls, tick: (ms: number) => (clock += ms) };
    };

    it('given two probes asking at once, should make one nmstatectl call and give both its state', async () => {
      const { show, calls } = setup();
      const a = show();
      const b = show();
      expect(calls).toHaveLength(1);
      calls[0]!.resolve({ n: 1 });
      await expect(Promise.all([a, b])).resolves.toEqual([{ n: 1 }, { n: 1 }]);
    });

    it('given a retry after the interval, should read the state again', async () => {
      const { show, calls, tick } = setup();
      const first = show();
      calls[0]!.resolve({ n: 1 });
      await first;
      tick(400);
      expect(show()).toBe(first);
      tick(101);
      const again = show();
      expect(calls).toHaveLength(2);
      calls[1]!.resolve({ n: 2 });
      await expect(again).resolves.toEqual({ n: 2 });
    });

    it('given a seed (the snapshot just taken), should answer the first round from it and read afresh after', async () => {
      const { show, calls, tick } = setup({ seed: true });
      await expect(show()).resolves.toEqual({ seed: true });
      expect(calls).toHaveLength(0);
      tick(501);
      void show();
      expect(calls).toHaveLength(1);
    });

    it('given a failed call, should not reuse it', async () => {
      const { show, calls } = setup();
      const failed = show();
      calls[0]!.reject(new Error('nmstatectl show failed'));
      await expect(failed).rejects.toThrow('nmstatectl show failed');
      void show();
      expect(calls).toHaveLength(2);
    });
  });
});
