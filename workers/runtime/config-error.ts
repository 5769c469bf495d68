/**
 * The error a process throws for a bad environment. Every problem names the variable and its rule, so
 * one start-up reports all of them at once; {@link runMain} prints them and exits with code 2.
 */
import { InvalidConfigurationError } from '../../crd/errors.ts';

export class ConfigError extends InvalidConfigurationError {
  readonly problems: string[];
  /** `what` names the configuration, e.g. `node agent`. */
  constructor(problems: string[], what = 'process') {
    super(`invalid ${what} configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** zod issues as `VARIABLE: rule` lines. */
export function issueLines(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] {
  return issues.map((i) => `${i.path.map(String).join('.') || '(environment)'}: ${i.message}`);
}
