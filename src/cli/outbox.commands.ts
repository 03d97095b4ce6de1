import { Module } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { OutboxModule } from '@/infra/outbox/outbox.module';
import { OutboxService } from '@/infra/outbox/outbox.service';
import { age, CliFailure, parseCount, report } from '@/common/cli/cli-output';

@Command({
  name: 'outbox:status',
  description: 'side effects waiting in the outbox: backlog, oldest pending event, events handed over more than once (failures)',
})
export class OutboxStatusCommand extends CommandRunner {
  constructor(private readonly outbox: OutboxService) {
    super();
  }

  async run(_params: string[], options: { json?: boolean; maxAge?: number }): Promise<void> {
    const status = await this.outbox.status();
    const oldestSeconds = status.oldestPendingAt ? Math.round((Date.now() - status.oldestPendingAt.getTime()) / 1000) : null;
    report(options, { ...status, oldestPendingSeconds: oldestSeconds }, () => [
      `pending        ${status.pending} (${status.inFlight} handed to the queue, not completed)`,
      `oldest pending ${status.oldestPendingAt ? `${status.oldestPendingAt.toISOString()} (${age(status.oldestPendingAt)})` : '-'}`,
      `failures       ${status.redispatched} pending event(s) handed over more than once (a failing job, or a lost one)`,
    ]);
    if (options.maxAge !== undefined && oldestSeconds !== null && oldestSeconds > options.maxAge) {
      throw new CliFailure(`the oldest pending outbox event is ${oldestSeconds} s old (more than --max-age ${options.maxAge})`);
    }
  }

  @Option({ flags: '--max-age <seconds>', description: 'exit with 1 when the oldest pending event is older (for monitoring)' })
  parseMaxAge(value: string): number {
    return parseCount('--max-age')(value);
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@Module({
  imports: [OutboxModule],
  providers: [OutboxStatusCommand],
})
export class OutboxCommandsModule {}
