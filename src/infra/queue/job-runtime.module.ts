import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobSchedulers } from './job-schedulers';
import { QueueWorkers } from './queue-workers';

/**
 * What makes a process a worker: a runtime for every queue with handlers, over the `@JobHandler`s
 * of every provider, and the repeatable jobs. A feature adds a job with a handler and its name in
 * its job table; nothing here changes.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [QueueWorkers, JobSchedulers],
  exports: [QueueWorkers],
})
export class JobRuntimeModule {}
