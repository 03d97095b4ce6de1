import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadEnvironmentOrExit } from './bootstrap';
import { WorkerModule } from './worker.module';

/**
 * The worker process. On SIGTERM the processors stop taking jobs and finish the ones in hand
 * (BullMQ waits for them), the relay finishes its pass, then the pools close. A job cut short by
 * SIGKILL is picked up again once its lock expires (JOB_LOCK_MS); a job Redis lost is handed over
 * again from the outbox.
 */
async function bootstrap(): Promise<void> {
  loadEnvironmentOrExit();
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  console.log('Conduit worker started: queues mail, scheduled, media; outbox relay running');
}

void bootstrap();
