/**
 * `promote <policy> [--wave N]`: opens the manual gate after wave N (default: the gate the rollout
 * waits at now) with the promote signal. A gate further ahead may be approved in advance with
 * `--wave`; the same approval lives in the `nmstate.io/rollout-approved-wave` annotation.
 */
import { Command } from 'commander';
import { ANNOTATION_APPROVED_WAVE } from '../../crd/nncp.ts';
import { promoteSignal } from '../../workflows/messages.ts';
import { pollUntil, positiveIntArg, type CommandContext } from '../context.ts';
import { requester } from '../config.ts';
import { usageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { liveProgress, runningRollout } from '../running-rollout.ts';
import { CONFIRM_TIMEOUT_MS } from './pause.ts';

/** The `promote` command. */
export function promoteCommand(ctx: CommandContext, done: (code: number) => void): Command {
  return new Command('promote')
    .description('open the manual gate after a wave (default: the gate the rollout waits at)')
    .argument('<policy>', 'policy (NNCP) name')
    .option('--wave <n>', 'approve the gate after wave n (1-based), also ahead of time', positiveIntArg)
    .action(async (policy: string, flags: { wave?: number }) => {
      const session = ctx.session();
      const handle = await runningRollout(session, policy, 'promote');
      const before = await liveProgress(session, policy);
      const wave = flags.wave ?? (before?.gate?.kind === 'manual' ? before.gate.afterWave : undefined);
      if (wave === undefined) {
        throw usageError(
          before ? `the rollout of ${policy} is not waiting at a manual gate (phase ${before.phase}, wave ${before.currentWave}/${before.totalWaves})` : `the rollout of ${policy} did not answer, so the gate it waits at is unknown`,
          `give --wave N to approve the gate after wave N (or annotate: kubectl annotate nncp ${policy} --overwrite ${ANNOTATION_APPROVED_WAVE}=N)`,
        );
      }
      await handle.signal(promoteSignal, { wave, requestedBy: requester(ctx.io.env) });
      if (before?.gate?.afterWave !== wave) {
        ctx.io.out(`approved the gate after wave ${wave} of ${policy}; the rollout passes it when it gets there\n`);
        return done(EXIT.ok);
      }
      const after = await pollUntil(async () => {
        const g = await liveProgress(session, policy);
        return g && g.gate?.afterWave !== wave ? g : undefined;
      }, CONFIRM_TIMEOUT_MS);
      ctx.io.out(after ? `promoted ${policy}: gate after wave ${wave} open; now ${after.phase}, wave ${after.currentWave}/${after.totalWaves}\n` : `promote signal sent for the gate after wave ${wave} of ${policy}\n`);
      done(EXIT.ok);
    });
}
