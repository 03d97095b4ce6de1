import { NestFactory } from '@nestjs/core';
import { loadEnvironmentOrExit, NEST_LOG_LEVELS } from './bootstrap';
import { WorkerModule } from './worker.module';

/**
 * The worker process. On SIGTERM the processors stop taking jobs and finish the ones in hand
 * (BullMQ waits for them), the relay finishes its pass, then the pools close. A job cut short by
 * SIGKILL is picked up again once its lock expires (JOB_LOCK_MS); a job Redis lost is handed over
 * again from the outbox.
 */
async function bootstrap(): Promise<void> {
  const environment = loadEnvironmentOrExit();
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: NEST_LOG_LEVELS[environment.LOG_LEVEL] });
  app.enableShutdownHooks();
  console.log('Conduit worker started: queues mail, scheduled, media; outbox relay running');
}

void bootstrap();
