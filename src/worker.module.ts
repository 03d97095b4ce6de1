import { Module } from '@nestjs/common';
import { EventSubscriptionsModule } from '@/event-subscriptions';
import { InfrastructureModule } from '@/infra/infrastructure.module';
import { MailModule } from '@/infra/mail/mail.module';
import { WorkerMetricsServer } from '@/infra/metrics/http-metrics';
import { OutboxWorkerModule } from '@/infra/outbox/outbox-worker.module';
import { JobRuntimeModule } from '@/infra/queue/job-runtime.module';
import { ArticlesWorkerModule } from '@/modules/articles/articles-worker.module';
import { NotificationsWorkerModule } from '@/modules/notifications/notifications-worker.module';
import { SearchWorkerModule } from '@/modules/search/search-worker.module';
import { UploadsWorkerModule } from '@/modules/uploads/uploads-worker.module';

/**
 * The worker: the same dependency graph as the api, without HTTP. It runs a runtime for each
 * queue over the features' job handlers, the outbox relay and the repeatable jobs; a feature with
 * jobs brings them in its worker module.
 */
@Module({
  imports: [InfrastructureModule, EventSubscriptionsModule, MailModule, JobRuntimeModule, OutboxWorkerModule, ArticlesWorkerModule, NotificationsWorkerModule, SearchWorkerModule, UploadsWorkerModule],
  providers: [WorkerMetricsServer],
})
export class WorkerModule {}
