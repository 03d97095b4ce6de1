import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';

// The modules validate the configuration when they are loaded: a complete one, which nothing here
// connects to (no provider is created).
Object.assign(process.env, {
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/conduit_static_check',
  JWT_SECRET: process.env.JWT_SECRET ?? 'static-module-check-secret-0123456789abcdef0123456789',
});
/* eslint-disable @typescript-eslint/no-require-imports -- loaded after the environment above is set */
// The api's modules too, so that every job table an api producer writes with is declared.
require('./app.module');
const { WorkerModule } = require('./worker.module') as typeof import('./worker.module');
const { ArticlesWorkerModule } = require('./modules/articles/articles-worker.module') as typeof import('./modules/articles/articles-worker.module');
const { jobHandlerProblems, JobRegistry } = require('./infra/queue/job-registry') as typeof import('./infra/queue/job-registry');
const { enqueuedJobs } = require('./infra/queue/queue-workers') as typeof import('./infra/queue/queue-workers');
const { QUEUE_NAMES } = require('./infra/queue/queues') as typeof import('./infra/queue/queues');
/* eslint-enable @typescript-eslint/no-require-imports */

type ModuleRef = Type | DynamicModule;

/** The provider classes of a module and of every module it imports, read from their metadata (nothing is created). */
function providerClasses(root: ModuleRef, skip: ReadonlySet<ModuleRef> = new Set()): Set<Type> {
  const classes = new Set<Type>();
  const seen = new Set<unknown>();
  const visit = (entry: ModuleRef | undefined): void => {
    if (!entry || seen.has(entry) || skip.has(entry)) return;
    seen.add(entry);
    const type = 'module' in entry ? entry.module : entry;
    const meta = (key: string): unknown[] => (Reflect.getMetadata(key, type) as unknown[] | undefined) ?? [];
    const providers = [...meta(MODULE_METADATA.PROVIDERS), ...('module' in entry ? (entry.providers ?? []) : [])] as Provider[];
    for (const provider of providers) {
      if (typeof provider === 'function') classes.add(provider);
      else if ('useClass' in provider) classes.add(provider.useClass);
    }
    for (const imported of [...meta(MODULE_METADATA.IMPORTS), ...('module' in entry ? (entry.imports ?? []) : [])]) visit(imported as ModuleRef);
  };
  visit(root);
  return classes;
}

/** The check the worker makes at start-up, over the worker's module graph as written (minus `skip`). */
function problems(skip: ReadonlySet<ModuleRef> = new Set()): string[] {
  const registry = JobRegistry.of([...providerClasses(WorkerModule, skip)].map((type) => type.prototype as object));
  return jobHandlerProblems(registry, enqueuedJobs(), QUEUE_NAMES);
}

describe('the worker module', () => {
  it('has exactly one handler for every job the api and the worker can enqueue, and for every queue', () => {
    expect(problems()).toEqual([]);
  });

  it('would not start without a feature whose jobs the api enqueues (here: scheduled publication)', () => {
    expect(problems(new Set([ArticlesWorkerModule]))).toEqual([expect.stringContaining('scheduled job "publish-article"')]);
  });
});
