import { DynamicModule, Module, Type } from '@nestjs/common';
import { ConfigModule } from '@/config/config.module';
import { PrismaModule } from '@/infra/prisma/prisma.module';
import { CliRedisModule } from './cli-redis';

interface CommandGroup {
  /** The commands the group's module declares (with @Command). */
  commands: string[];
  /** Loaded only when one of its commands runs, or for --help. */
  load: () => Promise<Type<unknown>>;
}

/**
 * The command groups, one module (and file) each. A run loads the group of the command it was
 * given, so that `db:check` never loads BullMQ, nor `queue:status` the data generator; `--help`
 * and unknown commands load them all (a command missing here still works, loaded that way).
 */
export const COMMAND_GROUPS: CommandGroup[] = [
  { commands: ['seed'], load: async () => (await import('./seed/seed.command.js')).SeedCommandsModule },
  { commands: ['user:create-admin', 'user:reset-password'], load: async () => (await import('./user.commands.js')).UserCommandsModule },
  { commands: ['outbox:status'], load: async () => (await import('./outbox.commands.js')).OutboxCommandsModule },
  { commands: ['queue:status', 'queue:retry-failed', 'queue:clean'], load: async () => (await import('./queue.commands.js')).QueueCommandsModule },
  { commands: ['cache:flush'], load: async () => (await import('./cache.commands.js')).CacheCommandsModule },
  { commands: ['db:check'], load: async () => (await import('./db.commands.js')).DbCommandsModule },
  { commands: ['search:reindex', 'search:check'], load: async () => (await import('../modules/search/search.commands.js')).SearchCommandsModule },
];

/**
 * The command line's root module. Only connection-free infrastructure is loaded (configuration,
 * and Prisma, whose pool connects on the first query); Redis is opened by the commands that use
 * it (CliRedis), so no command depends on a service it does not touch.
 */
@Module({})
export class CliModule {
  /** The root module for `argv` (the arguments after the script): the command's group, or all. */
  static async forArguments(argv: string[]): Promise<DynamicModule> {
    const command = argv.find((arg) => !arg.startsWith('-'));
    const matching = COMMAND_GROUPS.filter((group) => command !== undefined && group.commands.includes(command));
    const groups = await Promise.all((matching.length > 0 ? matching : COMMAND_GROUPS).map((group) => group.load()));
    return { module: CliModule, imports: [ConfigModule, PrismaModule, CliRedisModule, ...groups] };
  }
}
