import type { INestApplicationContext } from '@nestjs/common';
import { JobRegistry } from '@/infra/queue/job-registry';
import { JobObserver, OutboxCompletion, QueueRuntime } from '@/infra/queue/queue-runtime';
import type { QueueName } from '@/infra/queue/queues';

/**
 * The runtime of one queue over the given job handlers (instances), with the outbox and metrics of
 * `app`: jobs run exactly as the worker runs them (context, outage handling, outbox completion),
 * but when a suite chooses, without BullMQ workers taking them from Redis.
 */
export function queueRuntime(app: INestApplicationContext, queue: QueueName, ...handlers: object[]): QueueRuntime {
  return new QueueRuntime(queue, JobRegistry.of(handlers), app.get(OutboxCompletion), app.get(JobObserver));
}
