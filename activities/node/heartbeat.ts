/**
 * Activity heartbeats of the node activities: a steady pace, plus one on every phase change, so the
 * workflow (and the Temporal UI) sees which step a node is in. Temporal throttles what is sent.
 */
import { Context } from '@temporalio/activity';

/** The activity context, when running inside one (undefined when the agent is called directly). */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats `details` every `intervalMs` and on every {@link Heartbeat.phase}; a no-op outside an activity. */
export class Heartbeat {
  readonly #ctx: Context | undefined;
  #details: Record<string, unknown>;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(ctx: Context | undefined, intervalMs: number, details: Record<string, unknown>) {
    this.#ctx = ctx;
    this.#details = details;
    if (ctx) {
      ctx.heartbeat(details);
      this.#timer = setInterval(() => ctx.heartbeat(this.#details), intervalMs);
      this.#timer.unref();
    }
  }

  /** Records and sends the step the operation is in. */
  phase(phase: string): void {
    this.#details = { ...this.#details, phase };
    this.#ctx?.heartbeat(this.#details);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
