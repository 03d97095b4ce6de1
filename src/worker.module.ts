import { Module } from '@nestjs/common';
import { AuthModule } from '@/common/auth/auth.module';
import { ConfigModule } from '@/config/config.module';
import { CacheModule } from '@/infra/cache/cache.module';
import { MailModule } from '@/infra/mail/mail.module';
import { OutboxRelay } from '@/infra/outbox/outbox-relay.service';
import { OutboxModule } from '@/infra/outbox/outbox.module';
import { PrismaModule } from '@/infra/prisma/prisma.module';
import { QueueModule } from '@/infra/queue/queue.module';
import { RedisModule } from '@/infra/redis/redis.module';
import { ArticlesModule } from '@/modules/articles/articles.module';
import { NotificationsWorkerModule } from '@/modules/notifications/notifications-worker.module';
import { JobSchedulers, ScheduledProcessor } from '@/worker/scheduled.processor';

/**
 * The worker: the same dependency graph as the api, without HTTP. It runs the queue processors,
 * the outbox relay and the repeatable jobs.
 */
@Module({
  imports: [
    ConfigModule,
    PrismaModule,
    RedisModule,
    CacheModule,
    QueueModule,
    OutboxModule,
    MailModule,
    AuthModule,
    ArticlesModule,
    NotificationsWorkerModule,
  ],
  providers: [OutboxRelay, ScheduledProcessor, JobSchedulers],
})
export class WorkerModule {}
