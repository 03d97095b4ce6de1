import { Injectable } from '@nestjs/common';
import type { Prisma } from '@/generated/prisma/client';
import { requestIdData } from '@/infra/logging/request-context';
import type { Db } from '@/infra/prisma/db';
import { PrismaService } from '@/infra/prisma/prisma.service';
import type { QueueName } from '@/infra/queue/queues';

export interface JobIntent {
  queue: QueueName;
  name: string;
  payload: Prisma.InputJsonObject;
  /** Not handed to the queue before this time. */
  availableAt?: Date;
}

export interface OutboxStatus {
  pending: number;
  /** Handed to the queue but not completed. */
  inFlight: number;
  oldestPendingAt: Date | null;
  /** Pending events handed over more than once (their jobs keep failing or were lost). */
  redispatched: number;
}

/**
 * The transactional outbox. `add` is called with the transaction of the change that causes the
 * side effect, so both commit or neither does; the relay hands the event to BullMQ, and the
 * processor marks it completed. See OutboxRelay for the hand-over.
 */
@Injectable()
export class OutboxService {
  constructor(private readonly prisma: PrismaService) {}

  async add(db: Db, ...intents: JobIntent[]): Promise<void> {
    if (intents.length === 0) return;
    await db.outboxEvent.createMany({
      data: intents.map((intent) => ({
        queue: intent.queue,
        name: intent.name,
        // The request that caused the event travels with it, into the job and the worker's log lines.
        payload: { ...requestIdData(), ...intent.payload },
        ...(intent.availableAt && { availableAt: intent.availableAt }),
      })),
    });
  }

  /** The event's side effect is done: it will not be handed over again. */
  async complete(eventId: string): Promise<void> {
    await this.prisma.outboxEvent.updateMany({ where: { id: BigInt(eventId), completedAt: null }, data: { completedAt: new Date() } });
  }

  async status(): Promise<OutboxStatus> {
    const [row] = await this.prisma.$queryRaw<Array<{ pending: number; in_flight: number; oldest: Date | null; redispatched: number }>>`
      SELECT count(*)::int AS pending,
             count(*) FILTER (WHERE dispatched_at IS NOT NULL)::int AS in_flight,
             min(created_at) AS oldest,
             count(*) FILTER (WHERE dispatches > 1)::int AS redispatched
      FROM outbox_events WHERE completed_at IS NULL`;
    return { pending: row.pending, inFlight: row.in_flight, oldestPendingAt: row.oldest, redispatched: row.redispatched };
  }

  /** Deletes completed events older than `days`; pending ones are never deleted. */
  async purgeCompleted(days: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM outbox_events WHERE completed_at < now() - make_interval(days => ${days}::int)`;
  }
}
