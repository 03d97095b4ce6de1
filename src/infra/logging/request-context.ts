import { Logger } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-Id';

interface RequestContext {
  requestId: string;
  /** Set while a worker runs a job: its queue, name and id, bound into the job's log lines. */
  job?: { queue: string; name: string; id?: string };
}

/**
 * The request id of the work in hand, across awaits: set per HTTP request in the api, and per job
 * in the worker (from the job's data), so that everything a request causes can be found by its id.
 */
const storage = new AsyncLocalStorage<RequestContext>();

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

export function currentJobContext(): RequestContext | undefined {
  return storage.getStore();
}

/** An incoming id is kept only if it is short and plain enough to put in a log line and a header. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/**
 * Express middleware: adopts the client's (or the proxy's) X-Request-Id when it is sane, otherwise
 * makes one up; echoes it in the response and runs the rest of the request in its context.
 * pino-http takes `req.id` for the request's log lines.
 */
export function requestIdMiddleware(request: Request, response: Response, next: NextFunction): void {
  const incoming = request.headers['x-request-id'];
  const requestId = typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  (request as Request & { id?: string }).id = requestId;
  response.setHeader(REQUEST_ID_HEADER, requestId);
  storage.run({ requestId }, next);
}

/** What a job carries of the request that caused it (spread into job data and outbox payloads). */
export interface RequestIdData {
  requestId?: string;
}

/** `{ requestId }` of the current request or job, or `{}` outside of one. */
export function requestIdData(): RequestIdData {
  const requestId = currentRequestId();
  return requestId ? { requestId } : {};
}

/**
 * Runs a job's work in the context of the request that caused it (its `requestId` in the data),
 * or of a fresh id for scheduled work, so that the worker's log lines for the job carry both.
 */
export function runInJobContext<T>(
  job: { queueName: string; name: string; id?: string; data: unknown },
  work: () => Promise<T>,
): Promise<T> {
  const data = (job.data ?? {}) as RequestIdData;
  const requestId = typeof data.requestId === 'string' && SANE_REQUEST_ID.test(data.requestId) ? data.requestId : randomUUID();
  return storage.run({ requestId, job: { queue: job.queueName, name: job.name, id: job.id } }, async () => {
    const started = performance.now();
    try {
      const result = await work();
      jobLogger.debug(`job done in ${Math.round(performance.now() - started)} ms`);
      return result;
    } catch (error) {
      jobLogger.warn(`job failed after ${Math.round(performance.now() - started)} ms: ${(error as Error).message}`);
      throw error;
    }
  });
}

const jobLogger = new Logger('Jobs');
