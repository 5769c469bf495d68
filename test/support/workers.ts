/** Runs several Temporal workers until a promise settles, then shuts them all down. */
import type { Worker } from '@temporalio/worker';

export async function runWorkersUntil<T>(workers: Worker[], until: Promise<T> | (() => Promise<T>)): Promise<T> {
  const running = workers.map((w) => w.run());
  try {
    return await (typeof until === 'function' ? until() : until);
  } finally {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.all(running);
  }
}
