/**
 * A process's health endpoint: `GET /healthz` (liveness) and `GET /readyz` (readiness) answer 200 when
 * every check is ok, 503 otherwise, with a JSON body `{ ok, <check>: <detail>, … }`.
 */
import { createServer, type Server } from 'node:http';

/** One check's answer; `detail` is shown under the check's name. */
export interface HealthReport {
  ok: boolean;
  detail?: unknown;
}

/** A named check, asked on every request. */
export type HealthCheck = () => HealthReport | Promise<HealthReport>;

/** Options of {@link startHealthServer}. */
export interface HealthServerOptions {
  port: number;
  /** @default '0.0.0.0' */
  host?: string;
  /** Asked by both `/healthz` and `/readyz`. */
  checks: Record<string, HealthCheck>;
  /** Asked by `/readyz` only (e.g. caches synced); a process that is alive but not ready stays up. */
  readinessChecks?: Record<string, HealthCheck>;
}

async function evaluate(checks: Record<string, HealthCheck>): Promise<{ ok: boolean; body: Record<string, unknown> }> {
  const body: Record<string, unknown> = {};
  let ok = true;
  for (const [name, check] of Object.entries(checks)) {
    let r: HealthReport;
    try {
      r = await check();
    } catch (err) {
      r = { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
    ok &&= r.ok;
    body[name] = r.detail ?? r.ok;
  }
  return { ok, body };
}

/** Starts the endpoint; resolves once it listens (close the returned server on shutdown). */
export function startHealthServer(opts: HealthServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method !== 'GET' || (path !== '/healthz' && path !== '/readyz')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const checks = path === '/readyz' ? { ...opts.checks, ...opts.readinessChecks } : opts.checks;
    void evaluate(checks).then(({ ok, body }) => res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok, ...body })));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve(server));
  });
}
