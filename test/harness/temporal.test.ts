/**
 * The Temporal dev server options of the harness: a SQLite file keeps workflow history across a
 * restart (the durability the demo and later durability tests rely on), and the Web UI is served.
 */
import { describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { Run } from '../../hack/cluster/run.ts';
import { startTemporal } from '../../hack/cluster/temporal.ts';
import { tools } from '../../hack/cluster/tools.ts';

async function withClient<T>(address: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await fn(new Client({ connection }));
  } finally {
    await connection.close();
  }
}

describe('Temporal dev server', () => {
  it('given a db file, should keep a running workflow across a server restart, and serve the Web UI', async () => {
    const run = Run.create();
    try {
      const dbFile = run.path('temporal.db');
      const first = await startTemporal(run, tools().temporal, { dbFile, ui: true });
      const ui = await fetch(first.uiUrl!);
      expect(ui.status).toBe(200);
      // No worker polls this queue: the workflow stays Running, which is all the restart must keep.
      const id = `durable-${run.id}`;
      await withClient(first.address, (c) => c.workflow.start('neverPolled', { taskQueue: `knmstate.nowhere.${run.id}`, workflowId: id }));
      await run.stopProc('temporal');

      const second = await startTemporal(run, tools().temporal, { dbFile });
      const status = await withClient(second.address, async (c) => (await c.workflow.getHandle(id).describe()).status.name);
      expect(status).toBe('RUNNING');
    } finally {
      await run.teardown();
    }
  });
});
