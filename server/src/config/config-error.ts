/**
 * A configuration that cannot be used: each problem is one line that names the field or the
 * variable, never its value. `source` is the file (or the embedded demo) the problems are in.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[], readonly source?: string) {
    super(source === undefined ? problems.join('\n') : `Invalid configuration in ${source}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }

  /** One line per problem, each understandable on its own. */
  lines(): string[] {
    return this.source === undefined ? [...this.problems] : this.problems.map((problem) => `${this.source}: ${problem}`);
  }
}
