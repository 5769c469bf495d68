/**
 * `abort <policy> [--rollback]`: the abort update. `halt` (default) stops starting nodes and keeps
 * what is configured; `--rollback` also reverts the configured nodes, in reverse order. Prints what
 * the engine accepted — nodes aborted, nodes in flight that finish first, nodes to revert — or why it
 * refused (exit 1).
 */
import { Command } from 'commander';
import { abortUpdate, type AbortAccepted } from '../../workflows/messages.ts';
import { outputArg, type CommandContext } from '../context.ts';
import { requester } from '../config.ts';
import { CliError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { formatOutput, type OutputFormat } from '../render/output.ts';
import { palette } from '../render/style.ts';
import { runningRollout } from '../running-rollout.ts';
import { firstLine } from '../session.ts';

/** How long the engine may take to accept or refuse. */
export const ABORT_TIMEOUT_MS = 15_000;

/** What `abort` prints for an accepted abort. */
export function renderAbort(policy: string, a: AbortAccepted, color: boolean): string {
  const p = palette(color);
  const list = (names: string[]): string => (names.length ? names.join(', ') : p.dim('none'));
  const lines = [
    `${p.bold(`abort (${a.mode})`)} accepted for ${p.bold(policy)}`,
    `  aborted (never start): ${list(a.abortedNodes)}`,
    `  in flight (finish first${a.mode === 'rollback' ? ', then revert if applied' : ''}): ${list(a.inFlightNodes)}`,
  ];
  if (a.mode === 'rollback') lines.push(`  to revert, in order:   ${list(a.revertNodes)}`);
  else lines.push(`  configured nodes keep the policy (use --rollback to revert them)`);
  lines.push(`  follow it: kubectl nmstate get ${policy} --watch`);
  return `${lines.join('\n')}\n`;
}

/** The `abort` command. */
export function abortCommand(ctx: CommandContext, done: (code: number) => void): Command {
  return new Command('abort')
    .description('stop a rollout: halt (keep configured nodes) or --rollback (revert them)')
    .argument('<policy>', 'policy (NNCP) name')
    .option('--rollback', 'also revert the nodes already configured, in reverse order')
    .option('--reason <text>', 'why (shown in the status and the Temporal UI)')
    .option('-o, --output <format>', 'json or yaml', outputArg)
    .action(async (policy: string, flags: { rollback?: boolean; reason?: string; output?: OutputFormat }) => {
      const session = ctx.session();
      const handle = await runningRollout(session, policy, 'abort');
      const mode = flags.rollback ? 'rollback' : 'halt';
      const { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } = await import('@temporalio/client');
      let accepted: AbortAccepted;
      try {
        accepted = await session.withDeadline(ABORT_TIMEOUT_MS, () =>
          handle.executeUpdate(abortUpdate, { args: [{ mode, requestedBy: requester(ctx.io.env), ...(flags.reason ? { reason: flags.reason } : {}) }] }),
        );
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw new CliError(`the engine refused the abort: ${err.cause?.message ?? err.message}`, EXIT.failed);
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || /deadline/i.test(String(err))) {
          throw new CliError(`no worker answered the abort of ${policy} within ${ABORT_TIMEOUT_MS / 1000}s`, EXIT.timeout, 'is the controller running? (the update needs a worker to accept it)');
        }
        throw new CliError(`abort of ${policy} failed: ${firstLine(err)}`);
      }
      ctx.io.out(flags.output ? formatOutput(accepted, flags.output) : renderAbort(policy, accepted, ctx.color()));
      done(EXIT.ok);
    });
}
