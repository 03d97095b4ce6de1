import { Global, Module } from '@nestjs/common';
import { OutboxService } from './outbox.service';

/** The outbox writer, for every process. The relay belongs to the worker (WorkerModule). */
@Global()
@Module({
  providers: [OutboxService],
  exports: [OutboxService],
})
export class OutboxModule {}
