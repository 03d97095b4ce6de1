import { Module } from '@nestjs/common';
import { MailDeliveries } from './mail-deliveries';
import { MailJobHandlers } from './mail.handlers';
import { NotificationsRepository } from './notifications.repository';

/** The consumer side: the `mail` queue's jobs and the digest run, run by the worker only. */
@Module({
  providers: [MailJobHandlers, MailDeliveries, NotificationsRepository],
})
export class NotificationsWorkerModule {}
