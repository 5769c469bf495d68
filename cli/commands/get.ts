/**
 * `get [policy] [--watch] [-o json|yaml] [--timeout 5m]`: without a policy, a table of every policy
 * (from the NNCPs); with one, its rollout as a tree of waves and nodes (from the workflow's progress
 * query, or the NNCP status when no workflow answers). `--watch` redraws on change (about twice a
 * second) until the rollout ends or `--timeout` passes; `--timeout` alone waits the same way.
 * Exit: 0 Available/Completed, 1 Degraded/Halted/RolledBack, 2 timeout, 4 not found.
 */
import { Command, Option } from 'commander';
import { formatDuration } from '../../crd/quantities.ts';
import { durationArg, outputArg, type CommandContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { loadRollout } from '../load-rollout.ts';
import { formatOutput, type OutputFormat } from '../render/output.ts';
import { policyRows, renderPolicyTable } from '../render/policy-table.ts';
import { renderRollout } from '../render/rollout-tree.ts';
import { exitCodeOf, type RolloutView } from '../rollout-view.ts';

/** Poll interval of `--watch`. */
export const WATCH_INTERVAL_MS = 500;

interface GetFlags {
  watch?: boolean;
  output?: OutputFormat;
  timeout?: number;
  interval?: number;
}

/** The machine-readable form of a view. */
export function viewDocument(v: RolloutView): Record<string, unknown> {
  return { policy: v.policy, source: v.source, workflowId: v.workflowId, condition: v.condition, ended: v.ended, ...(v.note ? { note: v.note } : {}), progress: v.progress };
}

/** The `get` command. */
export function getCommand(ctx: CommandContext, done: (code: number) => void): Command {
  return new Command('get')
    .description('show a policy rollout as a tree of waves and nodes, or every policy as a table')
    .argument('[policy]', 'policy (NNCP) name; absent: every policy')
    .option('-w, --watch', 'redraw on change until the rollout ends (or --timeout)')
    .option('-o, --output <format>', 'json or yaml instead of the tree', outputArg)
    .option('--timeout <duration>', 'with --watch, or alone to wait without redrawing: give up after this long (e.g. 5m) with exit 2', durationArg)
    .addOption(new Option('--interval <duration>', 'poll interval of --watch').argParser(durationArg).hideHelp())
    .action(async (policy: string | undefined, flags: GetFlags) => done(policy ? await getOne(ctx, policy, flags) : await getAll(ctx, flags)));
}

async function getAll(ctx: CommandContext, flags: GetFlags): Promise<number> {
  const rows = policyRows(await ctx.session().listPolicies(), ctx.now());
  ctx.io.out(flags.output ? formatOutput(rows, flags.output) : renderPolicyTable(rows, { color: ctx.color() }));
  return EXIT.ok;
}

async function getOne(ctx: CommandContext, policy: string, flags: GetFlags): Promise<number> {
  const session = ctx.session();
  const show = (v: RolloutView): string => (flags.output ? formatOutput(viewDocument(v), flags.output) : renderRollout(v, { color: ctx.color(), now: ctx.now(), ...(ctx.io.columns ? { width: ctx.io.columns } : {}) }));
  let view = await loadRollout(session, policy);
  const waiting = flags.watch === true || flags.timeout !== undefined;
  if (!waiting || view.ended) {
    ctx.io.out(show(view));
    return exitCodeOf(view);
  }
  const redraw = flags.watch === true && !flags.output;
  const inPlace = redraw && ctx.io.isTTY;
  const deadline = flags.timeout !== undefined ? Date.now() + flags.timeout : Infinity;
  // On a terminal, redraw whenever the text changes (ages tick); in a log, only when the rollout
  // changed, so a CI log gets one block per change, not two a second.
  let last = '';
  const draw = (): void => {
    const text = show(view);
    const key = inPlace ? text : JSON.stringify(view);
    if (key === last) return;
    last = key;
    if (inPlace) ctx.io.out(`\u001b[H\u001b[2J${text}`);
    else ctx.io.out(`${text}\n`);
  };
  for (;;) {
    if (redraw) draw();
    if (view.ended) break;
    if (Date.now() >= deadline) {
      if (!redraw) ctx.io.out(show(view));
      ctx.io.err(`timed out after ${formatDuration(flags.timeout!)}: the rollout of ${policy} is still ${view.progress.phase} (${view.progress.message})\n`);
      return EXIT.timeout;
    }
    await new Promise((r) => setTimeout(r, Math.min(flags.interval ?? WATCH_INTERVAL_MS, Math.max(0, deadline - Date.now()))));
    view = await loadRollout(session, policy);
  }
  if (!redraw) ctx.io.out(show(view));
  return exitCodeOf(view);
}
