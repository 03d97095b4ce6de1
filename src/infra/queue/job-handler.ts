import type { ConfigService } from '@nestjs/config';
import type { RepeatOptions } from 'bullmq';
import 'reflect-metadata';
import type { Environment } from '@/config/environment';
import type { Prisma } from '@/generated/prisma/client';
import type { RequestIdData } from '@/infra/logging/request-context';
import type { OutboxJobData, QueueName } from './queues';

/**
 * The jobs a feature enqueues on one queue, by name, typed by their data (`Jobs`: name -> data).
 * Producers and handlers are checked against it by the compiler, and the worker checks at
 * start-up that each of its names has exactly one handler (see QueueWorkers).
 */
export class JobTable<Jobs extends object = object> {
  /** For the compiler only: the data of each job (never set). */
  declare readonly data: Jobs;

  constructor(
    readonly queue: QueueName,
    readonly names: readonly string[],
  ) {}

  /**
   * One of these jobs as an outbox intent (for `OutboxService.add`): a producer names only a job
   * of its table, with that job's data, so every job it writes is one the start-up check knows.
   */
  intent<Name extends keyof Jobs & string>(name: Name, data: Jobs[Name], options: { availableAt?: Date } = {}): JobIntentOf {
    return { queue: this.queue, name, payload: { ...data } as Prisma.InputJsonObject, ...options };
  }
}

/** What `JobTable.intent` gives: the shape of the outbox's JobIntent. */
export interface JobIntentOf {
  queue: QueueName;
  name: string;
  payload: Prisma.InputJsonObject;
  availableAt?: Date;
}

const declaredTables: JobTable[] = [];

/**
 * Declares the jobs of `Jobs` on `queue`. The names are spelt out again, as a record, because the
 * start-up check needs them at run time and a type has none: the compiler holds the record to the
 * type, so a job added to `Jobs` and not here (or the other way round) does not build.
 *
 * Every table declared in the process is kept for the worker's start-up check: a table is loaded
 * with its producers and with its handlers, so whatever the worker can enqueue or run is checked,
 * wherever the table lives.
 */
export function defineJobs<Jobs extends object>(queue: QueueName, names: { readonly [Name in keyof Jobs]-?: true }): JobTable<Jobs> {
  const table = new JobTable<Jobs>(queue, Object.keys(names));
  declaredTables.push(table);
  return table;
}

/** Every job table declared so far in this process. */
export function declaredJobTables(): readonly JobTable[] {
  return declaredTables;
}

/** What a handler gets of its job besides the data. */
export interface JobInfo {
  queue: QueueName;
  name: string;
  id?: string;
}

/** The data a handler of `Name` receives: the job's own, the outbox event id and the causing request's id. */
export type JobData<Jobs, Name extends keyof Jobs> = Jobs[Name] & OutboxJobData & RequestIdData;

/** A repeatable job, registered once per cluster by JobSchedulers (BullMQ's `upsertJobScheduler`). */
export interface JobSchedule {
  /** The scheduler's key in Redis; a new key would leave the old schedule running beside it. */
  id: string;
  /** When it runs; a function when a setting decides. */
  repeat: RepeatOptions | ((config: ConfigService<Environment, true>) => RepeatOptions);
}

export interface JobHandlerOptions {
  /** The job is started by a schedule (its handler's queue), not by a producer. */
  schedule?: JobSchedule;
}

/** One `@JobHandler` of a class: the method, and the jobs it handles. */
export interface JobHandlerMetadata {
  method: string | symbol;
  queue: QueueName;
  /** One name, or a family of names (generated features' `<feature>.changed` events). */
  name: string | RegExp;
  schedule?: JobSchedule;
}

const JOB_HANDLERS = Symbol('job handlers');

type Handler<Data> = (data: Data, job: JobInfo) => Promise<unknown>;
type HandlerDecorator<Data> = <Method extends Handler<Data>>(target: object, method: string | symbol, descriptor: TypedPropertyDescriptor<Method>) => void;

/**
 * Makes a method the handler of one job: `@JobHandler(MAIL_JOBS, 'welcome')`, for a method that
 * takes that job's data (the compiler checks the name and the data against the table). With a
 * queue and a pattern instead, the handler of every job of that queue whose name matches
 * (names known only at run time); its data is not typed then, and it reads the name from `job`.
 *
 * Any provider may carry handlers; the worker finds them through Nest's DiscoveryService (see
 * QueueWorkers) and runs each job through the one QueueRuntime of its queue. A method is its own
 * registration: a decorator rather than a table of name -> method because such a table is the
 * `switch` on `job.name` again, a second place that must follow the handlers; what a table would
 * give beyond that (every name handled, none twice) the start-up check gives, and it also sees
 * what the compiler cannot: the names SQL triggers write, and two features claiming one name.
 */
export function JobHandler<Jobs extends object, Name extends keyof Jobs & string>(
  table: JobTable<Jobs>,
  name: Name,
  options?: JobHandlerOptions,
): HandlerDecorator<JobData<Jobs, Name>>;
export function JobHandler(queue: QueueName, names: RegExp): HandlerDecorator<never>;
export function JobHandler(tableOrQueue: JobTable | QueueName, name: string | RegExp, options: JobHandlerOptions = {}): HandlerDecorator<never> {
  const queue = typeof tableOrQueue === 'string' ? tableOrQueue : tableOrQueue.queue;
  return (target, method) => {
    const entry: JobHandlerMetadata = { method, queue, name, ...options };
    // A copy: a subclass adds to what it inherits without changing its parent's list.
    Reflect.defineMetadata(JOB_HANDLERS, [...jobHandlerMetadata(target), entry], target);
  };
}

/** The `@JobHandler`s of an object's class (and of the classes it extends). */
export function jobHandlerMetadata(target: object): readonly JobHandlerMetadata[] {
  return (Reflect.getMetadata(JOB_HANDLERS, target) as JobHandlerMetadata[] | undefined) ?? [];
}
