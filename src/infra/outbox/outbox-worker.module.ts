import { Module } from '@nestjs/common';
import { OutboxJobHandlers } from './outbox.handlers';
import { OutboxRelay } from './outbox-relay.service';

/** The worker side of the outbox: the relay that hands events to the queues, and the purge of old ones. */
@Module({
  providers: [OutboxRelay, OutboxJobHandlers],
})
export class OutboxWorkerModule {}
