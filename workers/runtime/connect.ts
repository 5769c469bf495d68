/**
 * The Temporal connection of a process: the SDK Runtime (installed once, logging through pino,
 * signals left to {@link onShutdown}), then a worker connection ({@link connectTemporal}) or a client
 * ({@link connectTemporalClient}). The SDK packages load on first use (dynamic imports), so a process
 * may set V8 flags before they load.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { TLSConfig } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { TemporalConfig } from './temporal-config.ts';
import { sdkLogFunction } from './logging.ts';

/** The SDK connection's TLS option: `false`, `true` (system roots) or the material read from its files. */
export function temporalTls(tls: TemporalConfig['tls']): boolean | TLSConfig {
  if (typeof tls === 'boolean') return tls;
  return {
    ...(tls.serverNameOverride ? { serverNameOverride: tls.serverNameOverride } : {}),
    ...(tls.serverRootCACertificatePath ? { serverRootCACertificate: readFileSync(tls.serverRootCACertificatePath) } : {}),
    ...(tls.clientCertPath && tls.clientKeyPath ? { clientCertPair: { crt: readFileSync(tls.clientCertPath), key: readFileSync(tls.clientKeyPath) } } : {}),
  };
}

let runtimeInstalled = false;

/**
 * Installs the SDK Runtime once per process: SDK logs at `level` and above go to `log`; no signal
 * handling (the process's {@link onShutdown} decides). Later calls do nothing.
 */
export async function installTemporalRuntime(log: Logger, level: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' = 'WARN'): Promise<void> {
  if (runtimeInstalled) return;
  const { DefaultLogger, Runtime } = await import('@temporalio/worker');
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger(level, sdkLogFunction(log)) });
  runtimeInstalled = true;
}

/** Options of {@link connectTemporal}. */
export interface ConnectOptions {
  /** Installs the SDK Runtime with this logger first (see {@link installTemporalRuntime}). */
  logger?: Logger;
}

/** A connection for Workers (the SDK's NativeConnection) to `config.address`; close it when done. */
export async function connectTemporal(config: TemporalConfig, opts: ConnectOptions = {}): Promise<NativeConnection> {
  if (opts.logger) await installTemporalRuntime(opts.logger);
  const { NativeConnection } = await import('@temporalio/worker');
  return NativeConnection.connect({ address: config.address, tls: temporalTls(config.tls), ...(config.apiKey ? { apiKey: config.apiKey } : {}) });
}

/** A Client (start, signal, query workflows) in `config.namespace`; close it with `client.connection.close()`. */
export async function connectTemporalClient(config: TemporalConfig): Promise<Client> {
  const { Client, Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address: config.address, tls: temporalTls(config.tls), ...(config.apiKey ? { apiKey: config.apiKey } : {}) });
  return new Client({ connection, namespace: config.namespace });
}
