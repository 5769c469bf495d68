/**
 * `pause <policy>` / `resume <policy>`: the pause and resume signals. Nodes in flight finish (verify,
 * then commit or roll back); no new node starts until resumed. The command waits briefly for the
 * workflow to show the new state and prints it.
 */
import { Command, Option } from 'commander';
import { pauseSignal, resumeSignal } from '../../workflows/messages.ts';
import { pollUntil, type CommandContext } from '../context.ts';
import { requester } from '../config.ts';
import { EXIT } from '../exit-codes.ts';
import { liveProgress, runningRollout } from '../running-rollout.ts';

/** How long to wait for the workflow to show the new state. */
export const CONFIRM_TIMEOUT_MS = 5_000;

/** The `pause` command. */
export function pauseCommand(ctx: CommandContext, done: (code: number) => void): Command {
  return new Command('pause')
    .description('pause a rollout: nodes in flight finish, no new node starts')
    .argument('<policy>', 'policy (NNCP) name')
    .addOption(new Option('--reason <text>', 'why (shown in the status and the Temporal UI)'))
    .action(async (policy: string, flags: { reason?: string }) => {
      const session = ctx.session();
      const handle = await runningRollout(session, policy, 'pause');
      await handle.signal(pauseSignal, { requestedBy: requester(ctx.io.env), ...(flags.reason ? { reason: flags.reason } : {}) });
      const p = await pollUntil(async () => {
        const g = await liveProgress(session, policy);
        return g?.paused ? g : undefined;
      }, CONFIRM_TIMEOUT_MS);
      if (!p) {
        ctx.io.out(`pause signal sent to ${handle.workflowId}; the workflow applies it when its worker runs\n`);
        return done(EXIT.ok);
      }
      const inFlight = p.nodes.filter((n) => n.phase === 'Applying' || n.phase === 'Verifying' || n.phase === 'Retrying').map((n) => n.name);
      ctx.io.out(`paused the rollout of ${policy} (phase ${p.phase})${inFlight.length ? `; finishing in flight: ${inFlight.join(', ')}` : '; no node in flight'}\n`);
      done(EXIT.ok);
    });
}

/** The `resume` command. */
export function resumeCommand(ctx: CommandContext, done: (code: number) => void): Command {
  return new Command('resume')
    .description('resume a paused rollout')
    .argument('<policy>', 'policy (NNCP) name')
    .action(async (policy: string) => {
      const session = ctx.session();
      const handle = await runningRollout(session, policy, 'resume');
      await handle.signal(resumeSignal, { requestedBy: requester(ctx.io.env) });
      const p = await pollUntil(async () => {
        const g = await liveProgress(session, policy);
        return g && !g.paused ? g : undefined;
      }, CONFIRM_TIMEOUT_MS);
      if (p) {
        ctx.io.out(`resumed the rollout of ${policy} (phase ${p.phase})\n`);
        return done(EXIT.ok);
      }
      const nncp = await session.getPolicy(policy).catch(() => undefined);
      if (nncp?.spec.rollout?.paused) {
        ctx.io.out(
          `resume signal sent, but the policy itself is paused (spec.rollout.paused: true); resume it with:\n  kubectl patch nncp ${policy} --type merge -p '{"spec":{"rollout":{"paused":false}}}'\n`,
        );
        return done(EXIT.failed);
      }
      ctx.io.out(`resume signal sent to ${handle.workflowId}; the workflow applies it when its worker runs\n`);
      done(EXIT.ok);
    });
}
