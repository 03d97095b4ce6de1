import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { QueueWorkers } from '@/infra/queue/queue-workers';

/**
 * Graceful shutdown for the api and the worker. On SIGTERM (or SIGINT) a process stops taking new
 * work, lets the work in hand finish within SHUTDOWN_TIMEOUT_MS, then closes its pools (Prisma,
 * Redis, BullMQ) through `app.close()` and exits with 0.
 *
 * Nest's own `enableShutdownHooks()` is not enough: it runs every `onModuleDestroy` (closing the
 * database pool and the mail transport) before the BullMQ workers are closed in
 * `onApplicationShutdown`, so jobs in flight would fail, and it ends the process by re-raising the
 * signal (exit status 143) rather than with 0.
 */

const logger = new Logger('Shutdown');

/** Resolves when `work` settles or after `ms`, whichever comes first; true when `work` settled. */
export async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `shutDown` once, on the first SIGTERM or SIGINT, then exits: 0 when it finished, 1 when it
 * threw. A second signal, or a shutdown still running `deadlineMs` plus a grace period later,
 * ends the process at once.
 */
export function onTerminationSignal(deadlineMs: number, shutDown: (signal: NodeJS.Signals) => Promise<void>): void {
  let started = false;
  const handle = (signal: NodeJS.Signals): void => {
    if (started) {
      logger.warn(`${signal} received again: exiting now`);
      process.exit(1);
    }
    started = true;
    logger.log(`${signal} received: shutting down (at most ${deadlineMs} ms for the work in flight)`);
    // A backstop: closing the pools must not hang the process forever.
    setTimeout(() => {
      logger.error('Shutdown did not finish in time: exiting');
      process.exit(1);
    }, deadlineMs + 10_000).unref();
    shutDown(signal).then(
      () => {
        logger.log('Shutdown complete');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

/**
 * Stops accepting connections and waits for the requests in flight, at most `deadlineMs`; then
 * cuts whatever is left. Idle keep-alive connections are closed as soon as they are idle, so a
 * client holding one open does not keep the process alive.
 */
export async function drainHttpServer(server: Server, deadlineMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const idleSweeper = setInterval(() => server.closeIdleConnections(), 100);
  try {
    if (!(await within(closed, deadlineMs))) {
      logger.warn(`Requests still running after ${deadlineMs} ms: closing their connections`);
      server.closeAllConnections();
      await closed;
    }
  } finally {
    clearInterval(idleSweeper);
  }
}

/**
 * Closes every BullMQ worker of the application: each stops taking jobs and finishes the ones it
 * holds, at most `deadlineMs`. Resolves to false when jobs were still running then: they are
 * abandoned in Redis under their lock, which expires (JOB_LOCK_MS), and another worker runs them
 * again (processors are idempotent).
 */
export async function drainQueueWorkers(app: INestApplicationContext, deadlineMs: number): Promise<boolean> {
  const workers = app.get(QueueWorkers, { strict: false }).all();
  if (await within(Promise.all(workers.map((worker) => worker.close())), deadlineMs)) return true;
  logger.warn(`Jobs still running after ${deadlineMs} ms: leaving them to be retried`);
  return false;
}
