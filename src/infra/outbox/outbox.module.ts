import { Global, Module } from '@nestjs/common';
import { OutboxCompletion } from '@/infra/queue/queue-runtime';
import { OutboxService } from './outbox.service';

/** The outbox writer, for every process; the queue runtime completes events through it. The relay belongs to the worker (OutboxWorkerModule). */
@Global()
@Module({
  providers: [OutboxService, { provide: OutboxCompletion, useExisting: OutboxService }],
  exports: [OutboxService, OutboxCompletion],
})
export class OutboxModule {}
