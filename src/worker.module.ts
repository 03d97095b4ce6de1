import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { InfrastructureModule } from '@/infra/infrastructure.module';
import { MailModule } from '@/infra/mail/mail.module';
import { WorkerMetricsServer } from '@/infra/metrics/http-metrics';
import { OutboxRelay } from '@/infra/outbox/outbox-relay.service';
import { WorkerConnectionWarnings } from '@/infra/queue/worker-connection-warnings';
import { ArticlesModule } from '@/modules/articles/articles.module';
import { NotificationsWorkerModule } from '@/modules/notifications/notifications-worker.module';
import { SearchWorkerModule } from '@/modules/search/search-worker.module';
import { UploadsWorkerModule } from '@/modules/uploads/uploads-worker.module';
import { JobSchedulers, ScheduledProcessor } from '@/worker/scheduled.processor';

/**
 * The worker: the same dependency graph as the api, without HTTP. It runs the queue processors,
 * the outbox relay and the repeatable jobs.
 */
@Module({
  imports: [InfrastructureModule, MailModule, ArticlesModule, NotificationsWorkerModule, SearchWorkerModule, UploadsWorkerModule, DiscoveryModule],
  providers: [OutboxRelay, ScheduledProcessor, JobSchedulers, WorkerMetricsServer, WorkerConnectionWarnings],
})
export class WorkerModule {}
