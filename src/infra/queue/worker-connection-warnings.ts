import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WorkerHost } from '@nestjs/bullmq';

/** The queue processors (BullMQ workers) among the providers. */
export function queueWorkerHosts(discovery: DiscoveryService): WorkerHost[] {
  return discovery
    .getProviders()
    .map((wrapper) => wrapper.instance as unknown)
    .filter((instance): instance is WorkerHost => instance instanceof WorkerHost);
}

/**
 * A BullMQ worker with no 'error' listener prints each Redis connection error with its stack,
 * again at every reconnection attempt: one warning instead (no Redis yet, a wrong REDIS_URL).
 * The workers keep reconnecting and take jobs once Redis answers.
 */
@Injectable()
export class WorkerConnectionWarnings implements OnModuleInit {
  private readonly logger = new Logger('Worker');
  private warned = false;

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const host of queueWorkerHosts(this.discovery)) {
      host.worker.on('error', (error: Error) => {
        if (!this.warned) this.logger.warn(`Redis unavailable for the queue workers: ${error.message}`);
        this.warned = true;
      });
    }
  }
}
