import { Module } from '@nestjs/common';
import { MailDeliveries } from './mail-deliveries';
import { MailProcessor } from './mail.processor';
import { NotificationsRepository } from './notifications.repository';

/** The consumer side: the `mail` queue's processor, run by the worker only. */
@Module({
  providers: [MailProcessor, MailDeliveries, NotificationsRepository],
})
export class NotificationsWorkerModule {}
