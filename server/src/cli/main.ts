#!/usr/bin/env node
import { ConfigError } from '../config/config-error.js';
import { TRADEHUB_VERSION } from '../node-identity.js';
import { closestName } from '../text/closest-name.js';
import { CommandFailure, reasonOf, UsageError } from './cli-errors.js';
import type { Command } from './command.js';
import { configCommand } from './config-command.js';
import { serveCommand } from './serve-command.js';
import { simulateCommand } from './simulate-command.js';
import { tokenCommand } from './token-command.js';

const COMMANDS: readonly Command[] = [serveCommand, simulateCommand, tokenCommand, configCommand];

function help(): string {
  return [
    'Usage: tradehub [COMMAND] [OPTIONS]      (tradehub --version prints the version)',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(10)} ${command.summary}`),
    '',
    '`tradehub COMMAND --help` tells more; `tradehub serve --help` lists the environment variables.',
  ].join('\n');
}

/**
 * The `tradehub` program. Whatever goes wrong at start, it says so in one line on stderr (the
 * name of the command, then the problem) and exits non-zero: 2 for a mistake in the call or
 * the configuration, 1 for what could not be done. Never a stack trace.
 */
async function main(argv: readonly string[]): Promise<number | 'running'> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    console.log(help());
    return 0;
  }
  if (first === '--version') {
    console.log(TRADEHUB_VERSION);
    return 0;
  }
  const named = first !== undefined && !first.startsWith('-') ? COMMANDS.find((command) => command.name === first) : undefined;
  if (first !== undefined && !first.startsWith('-') && !named) {
    const suggestion = closestName(first, COMMANDS.map((command) => command.name));
    console.error(`tradehub: unknown command '${first.slice(0, 40)}'${suggestion ? `: did you mean ${suggestion}?` : ''} (tradehub --help lists them)`);
    return 2;
  }
  const command = named ?? serveCommand;
  try {
    return await command.run(named ? rest : argv, process.env);
  } catch (error) {
    const prefix = `tradehub ${command.name}`;
    if (error instanceof ConfigError) {
      for (const line of error.lines()) console.error(`${prefix}: ${line}`);
      return 2;
    }
    if (error instanceof UsageError) {
      console.error(`${prefix}: ${error.message} (tradehub ${command.name} --help)`);
      return 2;
    }
    console.error(`${prefix}: ${error instanceof CommandFailure ? error.message : reasonOf(error)}`);
    return error instanceof CommandFailure ? 1 : 2;
  }
}

const outcome = await main(process.argv.slice(2));
if (outcome !== 'running') process.exitCode = outcome;
