/**
 * Watchdog of one harness run: waits for the run's owner process to end and, if the run is still
 * there (the owner was killed or crashed before its teardown), tears it down. Exits as soon as the
 * run folder is gone. Started detached by startCluster; `node hack/cluster/reaper.ts <run-id>`.
 */
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { Run } from './run.ts';

const id = process.argv[2];
if (!id) {
  process.stderr.write('usage: reaper.ts <run-id>\n');
  process.exit(2);
}
const run = new Run(id);
// A watchdog polls by nature: there is no portable way to wait on a process that is not our child.
while (existsSync(run.path('run.json')) && !run.isStale()) await delay(500);
if (existsSync(run.path('run.json'))) await run.teardown();
