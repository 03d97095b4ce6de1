import { Module } from '@nestjs/common';
import { NotificationsService } from './notifications.service';

/** The producer side of notifications, for the features that cause mails (api and worker). */
@Module({
  providers: [NotificationsService],
  exports: [NotificationsService],
})
export class NotificationsModule {}
