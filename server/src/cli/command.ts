/** A `tradehub` subcommand. */
export interface Command {
  name: string;
  /** One line for `tradehub --help`. */
  summary: string;
  /** The whole text of `tradehub NAME --help`. */
  help: string;
  /**
   * Runs with the arguments after the command's name. Answers the exit code, or `'running'`
   * for a service that keeps the process alive until a signal ends it.
   */
  run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number | 'running'>;
}
