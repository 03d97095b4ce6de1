import './environment';
import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
// The api's modules too, so that every job table an api producer writes with is declared.
import '@/app.module';
import { ArticlesWorkerModule } from '@/modules/articles/articles-worker.module';
import { jobHandlerProblems, JobRegistry } from '@/infra/queue/job-registry';
import { enqueuedJobs } from '@/infra/queue/queue-workers';
import { QUEUE_NAMES } from '@/infra/queue/queues';
import { WorkerModule } from '@/worker.module';

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
