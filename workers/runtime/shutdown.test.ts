import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const shutdownModule = fileURLToPath(new URL('./shutdown.ts', import.meta.url));

/** A child process that installs onShutdown with `stop` and prints READY; returns its output and exit code. */
function child(stop: string, opts: { deadlineMs: number; exitMarginMs: number }, signals: number) {
  const script = `
    import { writeSync } from 'node:fs';
    import { onShutdown } from ${JSON.stringify(shutdownModule)};
    // Synchronous writes, as pino's: a line logged just before process.exit must not be lost.
    const line = (s) => writeSync(1, s + '\\n');
    // pino's call shapes: (object, message) or (message).
    const at = (level) => (o, m) => line(level + ' ' + (typeof o === 'string' ? o : m));
    const log = { info: at('info'), warn: at('warn'), error: at('error') };
    let stops = 0;
    onShutdown(async () => { stops++; line('stop ' + stops); ${stop} }, { deadlineMs: ${opts.deadlineMs}, exitMarginMs: ${opts.exitMarginMs}, logger: log, message: 'bye' });
    setInterval(() => {}, 1000);
    line('READY');
  `;
  const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let sent = 0;
  p.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    // Signals only once the handlers are in place, then one after the other.
    if (out.includes('READY') && sent === 0) {
      sent++;
      p.kill('SIGTERM');
    }
    if (out.includes('stop 1') && sent < signals) {
      sent++;
      p.kill('SIGTERM');
    }
  });
  return new Promise<{ out: string; code: number | null }>((resolve) => p.once('exit', (code) => resolve({ out, code })));
}

describe('graceful shutdown', () => {
  it('given two SIGTERMs, should run the stop function once, say it is already stopping, and let the process end when stop is done', async () => {
    const r = await child("await new Promise((r) => setTimeout(r, 300)); process.exit(0);", { deadlineMs: 10_000, exitMarginMs: 0 }, 2);
    expect(r.code).toBe(0);
    expect(r.out.match(/^stop \d/gm)).toEqual(['stop 1']);
    expect(r.out).toMatch(/^info bye$/m);
    expect(r.out).toMatch(/^warn already shutting down$/m);
  });

  it('given a stop function that never ends, should exit with 1 once the deadline has passed', async () => {
    const t0 = performance.now();
    const r = await child('await new Promise(() => {});', { deadlineMs: 300, exitMarginMs: 200 }, 1);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^error shutdown deadline passed; exiting$/m);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(500);
  });
});
