import { Module, OnApplicationBootstrap } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ReadReplicas } from './read-replicas';
import { ReadYourWrites } from './read-your-writes';
import { ReplicaReadsInterceptor } from './replica-reads.interceptor';

/**
 * Read replicas for the api process (a no-op without DATABASE_REPLICA_URLS): starts the replica
 * checks and routing, and scopes each request (see ReplicaReadsInterceptor). The worker and the
 * command line do not import it, so all their reads go to the primary.
 */
@Module({
  providers: [ReadYourWrites, { provide: APP_INTERCEPTOR, useClass: ReplicaReadsInterceptor }],
})
export class ReplicaReadsModule implements OnApplicationBootstrap {
  constructor(private readonly replicas: ReadReplicas) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.replicas.startRouting();
  }
}
