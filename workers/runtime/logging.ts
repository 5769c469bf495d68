/**
 * JSON logs (pino) for a knmstate process, and the bridge that sends the Temporal SDK's own logs
 * through the same logger.
 */
import { pino, type Logger } from 'pino';
import type { LogEntry, LogLevel } from '@temporalio/worker';

/** pino levels a process accepts in `LOG_LEVEL`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A process logger: JSON lines with `component` on each. */
export function createLogger(component: string, level: string = 'info'): Logger {
  return pino({ level, base: { component } });
}

const sdkLevels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** A log function for the SDK's `DefaultLogger`: its entries as pino lines marked `sdk: true`. */
export function sdkLogFunction(log: Logger): (entry: LogEntry) => void {
  return (e) => log[sdkLevels[e.level]]({ sdk: true, ...e.meta }, e.message);
}
