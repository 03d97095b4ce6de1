import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { exitOnStartupFailure, loadEnvironmentOrExit, reportSlowStartup, STARTUP_OPTIONS } from './bootstrap';
import { drainQueueWorkers, onTerminationSignal, within } from './infra/lifecycle/graceful-shutdown';
import { QUEUE_NAMES } from './infra/queue/queues';
import { WorkerModule } from './worker.module';

/**
 * The worker process. On SIGTERM the processors stop taking jobs and finish the ones in hand
 * (within SHUTDOWN_TIMEOUT_MS), then the relay stops and the pools close, and the process exits
 * with 0. A job cut short (by SIGKILL, or still running at the deadline) is picked up again once
 * its lock expires (JOB_LOCK_MS); a job Redis lost is handed over again from the outbox.
 */
async function bootstrap(): Promise<void> {
  const environment = loadEnvironmentOrExit();
  const started = reportSlowStartup('worker', environment);
  const app = await NestFactory.createApplicationContext(WorkerModule, STARTUP_OPTIONS);
  app.useLogger(app.get(Logger));
  app.flushLogs();
  started();
  const deadlineMs = environment.SHUTDOWN_TIMEOUT_MS;
  onTerminationSignal(deadlineMs, async () => {
    const drained = await drainQueueWorkers(app, deadlineMs);
    // Abandoned jobs keep their BullMQ workers from closing: close the rest without waiting for them.
    if (drained) await app.close();
    else await within(app.close(), 3_000);
  });
  console.log(`Conduit worker started: queues ${QUEUE_NAMES.join(', ')}; outbox relay running`);
}

bootstrap().catch(exitOnStartupFailure('worker'));
