/**
 * Shell completion scripts (`completion bash|zsh`) generated from the command tree: command names,
 * their flags, and policy names from `kubectl get nncp` where a policy is expected. Pure.
 */

/** What completion knows of a command. */
export interface CompletionCommand {
  name: string;
  flags: string[];
  /** Its first argument is a policy name. */
  takesPolicy: boolean;
}

/** Shells with a completion script. */
export const COMPLETION_SHELLS = ['bash', 'zsh'] as const;

const POLICIES = `kubectl get nncp -o jsonpath='{.items[*].metadata.name}' 2>/dev/null`;

/** The bash script (zsh loads it through bashcompinit). */
function bashScript(program: string, commands: readonly CompletionCommand[], globalFlags: readonly string[]): string {
  const fn = `_${program.replace(/[^A-Za-z0-9]/g, '_')}`;
  const cases = commands
    .map((c) => `    ${c.name}) opts="${[...c.flags, ...globalFlags].join(' ')}"; ${c.takesPolicy ? `[[ $cur != -* && $COMP_CWORD -eq $((cmd_index+1)) ]] && opts="$(${POLICIES})"` : ':'};;`)
    .join('\n');
  return `# ${program} completion for bash. Load it with: source <(${program} completion bash)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" cmd_index=0 i opts
  for ((i=1; i<COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) if [[ "\${COMP_WORDS[i]}" != nmstate ]]; then cmd="\${COMP_WORDS[i]}"; cmd_index=$i; break; fi;; esac
  done
  case "$cmd" in
    "") opts="${commands.map((c) => c.name).join(' ')} ${globalFlags.join(' ')}";;
${cases}
    *) opts="";;
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}
complete -F ${fn} ${program}
complete -F ${fn} knmstate
`;
}

/** The completion script for `shell`. */
export function completionScript(shell: (typeof COMPLETION_SHELLS)[number], program: string, commands: readonly CompletionCommand[], globalFlags: readonly string[]): string {
  const bash = bashScript(program, commands, globalFlags);
  if (shell === 'bash') return bash;
  return `# ${program} completion for zsh. Load it with: source <(${program} completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash.split('\n').slice(1).join('\n')}`;
}
