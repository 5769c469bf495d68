import { describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { startHealthServer, type HealthCheck } from './health.ts';

async function get(port: number, path: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: r.headers.get('content-type') === 'application/json' ? await r.json() : await r.text() };
}

describe('health endpoint', () => {
  it('given checks that pass and one readiness check that fails, should answer 200 on /healthz and 503 on /readyz with each detail', async () => {
    let synced = false;
    const checks: Record<string, HealthCheck> = { worker: () => ({ ok: true, detail: 'RUNNING' }) };
    const server = await startHealthServer({ port: 0, host: '127.0.0.1', checks, readinessChecks: { informers: async () => ({ ok: synced }) } });
    try {
      const { port } = server.address() as AddressInfo;
      expect(await get(port, '/healthz')).toEqual({ status: 200, body: { ok: true, worker: 'RUNNING' } });
      expect(await get(port, '/readyz')).toEqual({ status: 503, body: { ok: false, worker: 'RUNNING', informers: false } });
      synced = true;
      expect(await get(port, '/readyz')).toEqual({ status: 200, body: { ok: true, worker: 'RUNNING', informers: true } });
      expect((await get(port, '/metrics')).status).toBe(404);
    } finally {
      server.close();
    }
  });

  it('given a check that throws, should answer 503 with its message', async () => {
    const server = await startHealthServer({ port: 0, host: '127.0.0.1', checks: { kube: () => Promise.reject(new Error('API server unreachable')) } });
    try {
      const { port } = server.address() as AddressInfo;
      expect(await get(port, '/healthz')).toEqual({ status: 503, body: { ok: false, kube: 'API server unreachable' } });
    } finally {
      server.close();
    }
  });
});
