import { Module } from '@nestjs/common';
import { ConfigModule } from '@/config/config.module';
import { PrismaModule } from '@/infra/prisma/prisma.module';
import { CacheCommandsModule } from './cache.commands';
import { CliRedisModule } from './cli-redis';
import { DbCommandsModule } from './db.commands';
import { OutboxCommandsModule } from './outbox.commands';
import { QueueCommandsModule } from './queue.commands';
import { SeedCommandsModule } from './seed/seed.command';
import { UserCommandsModule } from './user.commands';
// Search commands (search:reindex, search:check): import SearchCommandsModule from '@/modules/search/search.commands' here and list it in COMMAND_MODULES.

/**
 * The command line: one module per command group. Only connection-free infrastructure is
 * loaded (configuration, and Prisma, whose pool connects on the first query); Redis is opened by
 * the commands that use it (CliRedis), so every command starts fast and none depends on a
 * service it does not touch.
 */
const COMMAND_MODULES = [SeedCommandsModule, UserCommandsModule, OutboxCommandsModule, QueueCommandsModule, CacheCommandsModule, DbCommandsModule];

@Module({
  imports: [ConfigModule, PrismaModule, CliRedisModule, ...COMMAND_MODULES],
})
export class CliModule {}
