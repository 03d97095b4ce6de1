import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import type { Environment } from '@/config/environment';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { QUEUE_NAMES, QueueName } from '@/infra/queue/queues';

const BATCH_SIZE = 200;

interface ClaimedEvent {
  id: bigint;
  queue: string;
  name: string;
  payload: Record<string, unknown>;
}

/**
 * Hands outbox events to BullMQ, in the worker. Each pass claims due events that were never
 * handed over, or were handed over longer than OUTBOX_REDISPATCH_SECONDS ago without completing
 * (Redis lost the job), with `FOR UPDATE SKIP LOCKED` so that several workers
 * share the work. The job id is the event id, so a second hand-over of a job still in Redis is a
 * no-op, and processors are idempotent for the case where it is not.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OutboxRelay');
  private readonly pollMs: number;
  private readonly redispatchSeconds: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly prisma: PrismaService,
    private readonly moduleRef: ModuleRef,
    config: ConfigService<Environment, true>,
  ) {
    this.pollMs = config.get('OUTBOX_POLL_MS', { infer: true });
    this.redispatchSeconds = config.get('OUTBOX_REDISPATCH_SECONDS', { infer: true });
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: hands over every due event (in batches); returns how many. */
  async relayOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const handed = await this.relayBatch();
      total += handed;
      if (handed < BATCH_SIZE || this.stopped) return total;
    }
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.relayOnce()
        .then(() => {
          if (this.failing) this.logger.log('Outbox relay recovered');
          this.failing = false;
        })
        .catch((error: Error) => {
          if (!this.failing) this.logger.warn(`Outbox relay pass failed (will retry): ${error.message}`);
          this.failing = true;
        })
        .finally(() => this.schedule(this.pollMs));
    }, delay);
  }

  private async relayBatch(): Promise<number> {
    return this.prisma.$transaction(
      async (tx) => {
        const events = await tx.$queryRaw<ClaimedEvent[]>`
          SELECT id, queue, name, payload FROM outbox_events
          WHERE completed_at IS NULL AND available_at <= now()
            AND (dispatched_at IS NULL OR dispatched_at < now() - make_interval(secs => ${this.redispatchSeconds}::int))
          ORDER BY id
          LIMIT ${BATCH_SIZE}
          FOR UPDATE SKIP LOCKED`;
        if (events.length === 0) return 0;
        // Enqueued inside the transaction: if Redis refuses, the claim rolls back and the
        // events stay pending; if the commit fails after enqueueing, the job ids dedupe.
        for (const [queue, batch] of this.groupByQueue(events)) {
          await this.queue(queue).addBulk(
            batch.map((event) => ({
              name: event.name,
              data: { ...event.payload, eventId: event.id.toString() },
              opts: { jobId: `event-${event.id.toString()}` },
            })),
          );
        }
        await tx.$executeRaw`
          UPDATE outbox_events SET dispatched_at = now(), dispatches = dispatches + 1
          WHERE id = ANY(${events.map((event) => event.id)}::bigint[])`;
        return events.length;
      },
      { timeout: 30_000, maxWait: 10_000 },
    );
  }

  /** Events by queue; an event naming no known queue is reported and left pending, never blocking others. */
  private groupByQueue(events: ClaimedEvent[]): Map<QueueName, ClaimedEvent[]> {
    const groups = new Map<QueueName, ClaimedEvent[]>();
    for (const event of events) {
      if (!(QUEUE_NAMES as string[]).includes(event.queue)) {
        this.logger.error(`Outbox event ${event.id.toString()} names an unknown queue "${event.queue}"; left pending`);
        continue;
      }
      const queue = event.queue as QueueName;
      groups.set(queue, [...(groups.get(queue) ?? []), event]);
    }
    return groups;
  }

  private queue(name: QueueName): Queue {
    return this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
  }
}
