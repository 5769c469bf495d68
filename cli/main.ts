/**
 * `kubectl nmstate`: the command tree, global flags, and the one place that turns errors into
 * messages and exit codes. Thin: each command lives in cli/commands/, rendering in cli/render/.
 *
 *   process.exitCode = await main(process.argv.slice(2), processIo());
 */
import { Command, CommanderError, Option } from 'commander';
import type { CommandContext } from './context.ts';
import { COMPLETION_SHELLS, completionScript } from './completion.ts';
import { resolveConfig, type GlobalFlags } from './config.ts';
import { CliError, usageError } from './errors.ts';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.ts';
import { useColor, type CliIo } from './io.ts';
import { Session } from './session.ts';
import { abortCommand } from './commands/abort.ts';
import { getCommand } from './commands/get.ts';
import { historyCommand } from './commands/history.ts';
import { pauseCommand, resumeCommand } from './commands/pause.ts';
import { planCommand } from './commands/plan.ts';
import { promoteCommand } from './commands/promote.ts';
import { retryCommand } from './commands/retry.ts';
import { whyCommand } from './commands/why.ts';

/** The program's name in usage lines. */
export const PROGRAM = 'kubectl-nmstate';

const ENV_HELP = `Environment (a flag wins over its variable):
  KUBECONFIG                         kubeconfig path(s), as kubectl
  TEMPORAL_ADDRESS                   --address (default localhost:7233)
  TEMPORAL_NAMESPACE                 --namespace (default "default")
  TEMPORAL_API_KEY                   --api-key (turns TLS on)
  TEMPORAL_TLS                       --tls (1/true: TLS with the system roots)
  TEMPORAL_TLS_SERVER_CA_CERT_PATH   --tls-ca
  TEMPORAL_TLS_CLIENT_CERT_PATH      --tls-cert (with --tls-key)
  TEMPORAL_TLS_CLIENT_KEY_PATH       --tls-key
  TEMPORAL_TLS_SERVER_NAME           --tls-server-name
  KNMSTATE_TASK_QUEUE                plan --task-queue (default knmstate.cluster)
  NO_COLOR / FORCE_COLOR             colours (only on a terminal otherwise)`;

/** Builds the program; `done` receives each command's exit code. */
export function buildProgram(io: CliIo, done: (code: number) => void): { program: Command; ctx: CommandContext; close: () => Promise<void> } {
  const program = new Command(PROGRAM);
  let session: Session | undefined;
  const flags = (): GlobalFlags => program.opts<GlobalFlags>();
  const ctx: CommandContext = {
    io,
    color: () => useColor(io, flags().color),
    session: () => {
      if (session) return session;
      const r = resolveConfig(flags(), io.env);
      if (!r.config) throw usageError(`invalid configuration:\n  ${r.problems.join('\n  ')}`, `see ${PROGRAM} --help for the flags and variables`);
      session = new Session(r.config, io.env);
      return session;
    },
    now: () => Date.now(),
    debug: () => flags().debug === true,
  };
  program
    .description('Watch and steer knmstate policy rollouts (NodeNetworkConfigurationPolicy) from a terminal or CI.\nInstalled on PATH as kubectl-nmstate, it runs as `kubectl nmstate`.')
    .usage('<command> [flags]')
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--address <host:port>', 'Temporal frontend (TEMPORAL_ADDRESS)')
    .option('--namespace <name>', 'Temporal namespace (TEMPORAL_NAMESPACE); policies are cluster-scoped')
    .option('--api-key <key>', 'Temporal Cloud API key (TEMPORAL_API_KEY)')
    .option('--tls', 'TLS with the system roots (TEMPORAL_TLS)')
    .option('--tls-ca <file>', 'server CA certificate (TEMPORAL_TLS_SERVER_CA_CERT_PATH)')
    .option('--tls-cert <file>', 'client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH)')
    .option('--tls-key <file>', 'client key (TEMPORAL_TLS_CLIENT_KEY_PATH)')
    .option('--tls-server-name <name>', 'TLS server name (TEMPORAL_TLS_SERVER_NAME)')
    .option('--no-color', 'no colours (also NO_COLOR; colours are used only on a terminal)')
    .addOption(new Option('--debug', 'print stacks of unexpected errors').hideHelp())
    .addHelpText('after', `\n${ENV_HELP}\n\n${EXIT_CODES_HELP}\n`)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  const commands = [getCommand, planCommand, pauseCommand, resumeCommand, promoteCommand, abortCommand, retryCommand, whyCommand, historyCommand].map((f) => f(ctx, done));
  for (const c of commands) {
    c.configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
      .exitOverride()
      .showHelpAfterError('(run with --help for usage)');
    c.addHelpText('after', `\n${EXIT_CODES_HELP}\n`);
    program.addCommand(c);
  }
  const globalFlags = program.options.map((o) => o.long).filter((l): l is string => !!l && l !== '--debug');
  program.addCommand(
    new Command('completion')
      .description('print a shell completion script: source <(kubectl-nmstate completion bash)')
      .argument('<shell>', COMPLETION_SHELLS.join(' or '))
      .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
      .exitOverride()
      .action((shell: string) => {
        if (!(COMPLETION_SHELLS as readonly string[]).includes(shell)) throw usageError(`no completion for ${JSON.stringify(shell)}; shells: ${COMPLETION_SHELLS.join(', ')}`);
        io.out(
          completionScript(
            shell as (typeof COMPLETION_SHELLS)[number],
            PROGRAM,
            commands.map((c) => ({ name: c.name(), flags: c.options.map((o) => o.long).filter((l): l is string => !!l), takesPolicy: c.registeredArguments[0]?.name() === 'policy' })),
            globalFlags,
          ),
        );
        done(EXIT.ok);
      }),
  );
  return { program, ctx, close: async () => session?.close() };
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const { program, ctx, close } = buildProgram(io, (c) => {
    code = c;
  });
  try {
    if (!argv.length) {
      program.outputHelp();
      return EXIT.usage;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; every other commander error is a usage error (already printed).
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      io.err(`error: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ''}`);
      return err.exitCode;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (ctx.debug() && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return EXIT.failed;
  } finally {
    await close();
  }
}
