/** The NodeNetworkState filter (pure). */
import { describe, expect, it } from '@jest/globals';
import { filterNetworkState } from './filter.ts';

describe('NodeNetworkState filter', () => {
  it('given a show output, should drop ignored veths, timers, lifetimes, routes via dropped interfaces and other top-level keys', () => {
    const out = filterNetworkState({
      hostname: { running: 'vm' },
      'route-rules': { config: [] },
      'dns-resolver': { config: { server: ['a'], search: ['b'], options: ['rotate'] }, running: { server: ['a'] } },
      interfaces: [
        { name: 'cali1', type: 'veth', state: 'ignore' },
        { name: 'br1', type: 'linux-bridge', state: 'up', bridge: { options: { 'gc-timer': 8, 'hello-timer': 0, 'mac-ageing-time': 300 } }, ipv4: { address: [{ ip: '203.0.113.1', 'prefix-length': 24, 'valid-life-time': '10sec', 'preferred-life-time': '10sec' }] } },
      ],
      routes: { config: [], running: [{ destination: '0.0.0.0/0', 'next-hop-interface': 'cali1' }, { destination: '0.0.0.0/0', 'next-hop-interface': 'br1' }] },
      ovn: { 'bridge-mappings': [], other: 1 },
    });
    expect(out).toEqual({
      'dns-resolver': { config: { server: ['a'], search: ['b'] }, running: { server: ['a'] } },
      interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'up', bridge: { options: { 'mac-ageing-time': 300 } }, ipv4: { address: [{ ip: '203.0.113.1', 'prefix-length': 24 }] } }],
      routes: { config: [], running: [{ destination: '0.0.0.0/0', 'next-hop-interface': 'br1' }] },
      ovn: { 'bridge-mappings': [] },
    });
  });
});
