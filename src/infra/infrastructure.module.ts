import { Module } from '@nestjs/common';
import { AuthModule } from '@/common/auth/auth.module';
import { ConfigModule } from '@/config/config.module';
import { CacheModule } from './cache/cache.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { OutboxModule } from './outbox/outbox.module';
import { PrismaModule } from './prisma/prisma.module';
import { QueueModule } from './queue/queue.module';
import { RedisModule } from './redis/redis.module';
import { StorageModule } from './storage/storage.module';

const SHARED = [ConfigModule, LoggingModule, PrismaModule, RedisModule, CacheModule, QueueModule, OutboxModule, AuthModule, MetricsModule, StorageModule];

/** The technical modules every process (api, worker) needs, all global. */
@Module({
  imports: SHARED,
  exports: SHARED,
})
export class InfrastructureModule {}
