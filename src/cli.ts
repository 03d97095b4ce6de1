import type { LogLevel } from '@nestjs/common';
import type { Command } from 'commander';
import { CommandFactory } from 'nest-commander';
// The injection token of the root commander program (not re-exported by the package index).
import { Commander } from 'nest-commander/src/constants';
import { loadEnvironmentOrExit } from './bootstrap';
import { describeFailure } from './cli/cli-errors';
import { CliFailure } from '@/common/cli/cli-output';
import { CliModule } from './cli/cli.module';

/** Nest's logger levels for each LOG_LEVEL (the api and worker log through pino instead). */
const NEST_LOG_LEVELS: Record<string, LogLevel[]> = {
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
  silent: [],
};

/**
 * The command line: `npm run cli -- <command>`, or `cli <command>` in the Docker image.
 * `--help` lists every command with its options. A failure prints one line on stderr and exits
 * with 1 (2 for a usage mistake); LOG_LEVEL=debug shows Nest's logs and stack traces too.
 */
async function main(): Promise<void> {
  const environment = loadEnvironmentOrExit();
  const verbose = ['debug', 'trace'].includes(environment.LOG_LEVEL);
  const fail = (error: unknown): void => {
    const exit = commanderExit(error);
    if (exit !== undefined) {
      process.exitCode = exit === 0 ? 0 : 2;
      return;
    }
    if (verbose && error instanceof Error && !(error instanceof CliFailure)) console.error(error.stack);
    console.error(`error: ${describeFailure(error, environment.DATABASE_URL)}`);
    process.exitCode = error instanceof CliFailure ? error.exitCode : 1;
  };
  try {
    const app = await CommandFactory.createWithoutRunning(await CliModule.forArguments(process.argv.slice(2)), {
      logger: verbose ? NEST_LOG_LEVELS[environment.LOG_LEVEL] : false,
      cliName: 'cli',
      serviceErrorHandler: fail,
      // Commander's own exits (help, a usage mistake) come back here as errors instead of ending
      // the process, so that Nest closes the pools; commander has printed the message already.
      errorHandler: (error) => {
        throw error;
      },
    });
    const program = app.get<Command>(Commander);
    program.name('cli').description('Conduit operations: sample data, accounts, outbox, queues, cache, database checks');
    program.addHelpText('after', () => allOptions(program));
    try {
      await CommandFactory.runApplication(app);
    } finally {
      await app.close();
    }
  } catch (error) {
    fail(error);
  }
}

/**
 * The exit code of commander's own exits (help shown, a usage mistake), undefined for other
 * errors. Recognised by their code: nest-commander bundles its own copy of commander, so
 * `instanceof CommanderError` would not match.
 */
function commanderExit(error: unknown): number | undefined {
  const { code, exitCode } = (error ?? {}) as { code?: unknown; exitCode?: unknown };
  return typeof code === 'string' && code.startsWith('commander.') && typeof exitCode === 'number' ? exitCode : undefined;
}

/** Every command with its arguments and options, for the top-level --help. */
function allOptions(program: Command): string {
  const help = program.createHelp();
  const sections = program.commands.map((command) => {
    const options = help.visibleOptions(command).filter((option) => option.long !== '--help').map((option) => `    ${option.flags.padEnd(28)} ${option.description}`);
    return [`  ${command.name()} ${command.usage()}`, ...options].join('\n');
  });
  return `\nOptions of each command (all accept --json for machine-readable output):\n${sections.join('\n\n')}\n`;
}

void main();
