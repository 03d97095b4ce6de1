import { type JobHandlerMetadata, type JobInfo, type JobSchedule, jobHandlerMetadata } from './job-handler';
import type { QueueName } from './queues';

/** One handler found on a provider. */
export interface RegisteredHandler {
  queue: QueueName;
  name: string | RegExp;
  schedule?: JobSchedule;
  /** `Class.method`, for messages. */
  where: string;
  run(data: unknown, job: JobInfo): Promise<unknown>;
}

/** A job some code enqueues, and who says so (for the start-up message). */
export interface EnqueuedJob {
  queue: QueueName;
  name: string;
  from: string;
}

/**
 * Every job handler of a process, by queue and job name. Built from the providers' `@JobHandler`
 * methods; `find` is what a queue's runtime asks for each job.
 */
export class JobRegistry {
  private constructor(readonly handlers: readonly RegisteredHandler[]) {}

  /** The handlers of `instances` (each instance counted once, however often it is listed). */
  static of(instances: Iterable<unknown>): JobRegistry {
    const handlers: RegisteredHandler[] = [];
    for (const instance of new Set(instances)) {
      if (!instance || typeof instance !== 'object') continue;
      for (const entry of jobHandlerMetadata(instance)) handlers.push(registered(instance, entry));
    }
    return new JobRegistry(handlers);
  }

  /** Every handler that claims the job: one, in a registry that passed `jobHandlerProblems`. */
  claims(queue: QueueName, name: string): RegisteredHandler[] {
    return this.handlers.filter((handler) => handler.queue === queue && (typeof handler.name === 'string' ? handler.name === name : handler.name.test(name)));
  }

  /** The handler of a job; none when no handler claims it. */
  find(queue: QueueName, name: string): RegisteredHandler | undefined {
    const [handler, ...others] = this.claims(queue, name);
    if (others.length > 0) throw new Error(`${queue} job "${name}" has ${others.length + 1} handlers: ${[handler, ...others].map((each) => each.where).join(', ')}`);
    return handler;
  }

  /** The queues this process has handlers for, in the order given. */
  queues(among: readonly QueueName[]): QueueName[] {
    return among.filter((queue) => this.handlers.some((handler) => handler.queue === queue));
  }
}

function registered(instance: object, { method, queue, name, schedule }: JobHandlerMetadata): RegisteredHandler {
  const run = (instance as Record<string | symbol, unknown>)[method];
  const where = `${instance.constructor.name}.${String(method)}`;
  if (typeof run !== 'function') throw new Error(`${where} is not a method`);
  return { queue, name, schedule, where, run: (data, job) => (run as RegisteredHandler['run']).call(instance, data, job) };
}

/**
 * What keeps the worker from starting: a job some code enqueues (`enqueued`) that no handler
 * claims, or that several claim; a job name with several handlers; a queue of `queues` without
 * any handler (its feature's worker module is not imported, so nobody would ever take its jobs).
 * Empty when every job has exactly one handler.
 */
export function jobHandlerProblems(registry: JobRegistry, enqueued: readonly EnqueuedJob[], queues: readonly QueueName[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const named = registry.handlers.flatMap((handler) => (typeof handler.name === 'string' ? [{ queue: handler.queue, name: handler.name, from: handler.where }] : []));
  for (const job of [...enqueued, ...named]) {
    const key = `${job.queue}\u0000${job.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const claims = registry.claims(job.queue, job.name);
    if (claims.length === 0) problems.push(`${job.queue} job "${job.name}" (${job.from}) has no handler`);
    if (claims.length > 1) problems.push(`${job.queue} job "${job.name}" has ${claims.length} handlers: ${claims.map((each) => each.where).join(', ')}`);
  }
  const patterns = new Map<string, RegisteredHandler[]>();
  for (const handler of registry.handlers) {
    if (typeof handler.name === 'string') continue;
    const key = `${handler.queue}\u0000${String(handler.name)}`;
    patterns.set(key, [...(patterns.get(key) ?? []), handler]);
  }
  for (const [, same] of patterns) {
    if (same.length > 1) problems.push(`${same[0].queue} jobs ${String(same[0].name)} have ${same.length} handlers: ${same.map((each) => each.where).join(', ')}`);
  }
  for (const queue of queues) {
    if (registry.queues([queue]).length === 0) problems.push(`queue "${queue}" has no handler at all (is its feature's worker module imported by the worker?)`);
  }
  return problems;
}
