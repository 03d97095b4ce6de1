import type { StreamingReplication } from './postgres-replica';

/**
 * Says how much of the run the replica served (its own count, by pg_stat_statements, of the
 * statements on the application's tables), then removes the primary and the replica.
 */
export default async function stopReplicatedDatabase(): Promise<void> {
  const cluster = (globalThis as { replicatedDatabase?: StreamingReplication }).replicatedDatabase;
  if (!cluster) return;
  try {
    const [articles, users] = [await cluster.statementCalls('%articles%'), await cluster.statementCalls('%users%')];
    console.log(`\nreplicas: the replica ran ${articles} statement(s) on articles and ${users} on users`);
  } finally {
    await cluster.remove();
  }
}
