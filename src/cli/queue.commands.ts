import { Injectable, Module } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Command, CommandRunner, Option } from 'nest-commander';
import { QUEUE_NAMES } from '@/infra/queue/queues';
import { CliRedis } from './cli-redis';
import { CliFailure, parseCount, report, table } from '@/common/cli/cli-output';

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

/** BullMQ queues of this deployment on the command's Redis connection, closed after use. */
@Injectable()
export class CliQueues {
  constructor(private readonly redis: CliRedis) {}

  /** The named queues (all when `name` is undefined); an unknown name is the operator's mistake. */
  async with<T>(name: string | undefined, work: (queue: Queue) => Promise<T>): Promise<Array<{ name: string; result: T }>> {
    if (name !== undefined && !(QUEUE_NAMES as string[]).includes(name)) {
      throw new CliFailure(`unknown queue "${name}" (queues: ${QUEUE_NAMES.join(', ')})`, 2);
    }
    const connection = await this.redis.open();
    const { queuePrefix } = await this.redis.namespace();
    const results: Array<{ name: string; result: T }> = [];
    for (const queueName of name === undefined ? QUEUE_NAMES : [name]) {
      const queue = new Queue(queueName, { connection, prefix: queuePrefix });
      try {
        results.push({ name: queueName, result: await work(queue) });
      } finally {
        await queue.close();
      }
    }
    return results;
  }
}

const queueArgument = { arguments: '[queue]', argsDescription: { queue: `one of ${QUEUE_NAMES.join(', ')} (default: every queue)` } };

@Command({ name: 'queue:status', ...queueArgument, description: 'jobs of each queue by state, and whether it is paused' })
export class QueueStatusCommand extends CommandRunner {
  constructor(private readonly queues: CliQueues) {
    super();
  }

  async run([name]: string[], options: { json?: boolean }): Promise<void> {
    const statuses = await this.queues.with(name, async (queue) => ({
      paused: await queue.isPaused(),
      counts: (await queue.getJobCounts(...STATES)) as Record<(typeof STATES)[number], number>,
    }));
    report(options, { queues: statuses.map(({ name: queue, result }) => ({ queue, ...result })) }, () =>
      table([
        ['queue', ...STATES, 'paused'],
        ...statuses.map(({ name: queue, result }) => [queue, ...STATES.map((state) => result.counts[state] ?? 0), result.paused ? 'yes' : 'no']),
      ]),
    );
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'queue:retry-failed',
  arguments: '<queue>',
  argsDescription: { queue: `one of ${QUEUE_NAMES.join(', ')}` },
  description: 'move every failed job of a queue back to waiting, for another round of attempts',
})
export class QueueRetryFailedCommand extends CommandRunner {
  constructor(private readonly queues: CliQueues) {
    super();
  }

  async run([name]: string[], options: { json?: boolean }): Promise<void> {
    const [{ result }] = await this.queues.with(name, async (queue) => {
      const failed = await queue.getFailedCount();
      await queue.retryJobs({ state: 'failed', count: 1_000 });
      return { retried: failed - (await queue.getFailedCount()) };
    });
    report(options, { queue: name, ...result }, () => [`${result.retried} failed job(s) of ${name} moved back to waiting.`]);
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'queue:clean',
  ...queueArgument,
  description: 'remove finished jobs kept for inspection: completed ones, and failed ones with --failed',
})
export class QueueCleanCommand extends CommandRunner {
  constructor(private readonly queues: CliQueues) {
    super();
  }

  async run([name]: string[], options: { json?: boolean; failed?: boolean; olderThan: number }): Promise<void> {
    const states = options.failed ? (['completed', 'failed'] as const) : (['completed'] as const);
    const removed = await this.queues.with(name, async (queue) => {
      const counts: Record<string, number> = {};
      for (const state of states) {
        // clean() removes at most `limit` jobs a call; 0 means no limit.
        counts[state] = (await queue.clean(options.olderThan * 1000, 0, state)).length;
      }
      return counts;
    });
    report(options, { olderThanSeconds: options.olderThan, queues: removed.map(({ name: queue, result }) => ({ queue, removed: result })) }, () =>
      removed.map(
        ({ name: queue, result }) => `${queue}: removed ${states.map((state) => `${result[state]} ${state}`).join(', ')} job(s)`,
      ),
    );
  }

  @Option({ flags: '--failed', description: 'remove failed jobs as well' })
  parseFailed(): boolean {
    return true;
  }

  @Option({ flags: '--older-than <seconds>', description: 'only jobs finished at least this long ago', defaultValue: 0 })
  parseOlderThan(value: string): number {
    return parseCount('--older-than')(value);
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@Module({
  providers: [CliQueues, QueueStatusCommand, QueueRetryFailedCommand, QueueCleanCommand],
})
export class QueueCommandsModule {}
