import { startStreamingReplication, StreamingReplication } from './postgres-replica';

/**
 * Jest global setup of the `replicas` project (scripts/test-replicas.mjs): a primary and a streaming
 * replica of it, named to every suite of the run by DATABASE_URL and DATABASE_REPLICA_URLS, and
 * removed by replicas.global-teardown.ts.
 */
export default async function startReplicatedDatabase(): Promise<void> {
  const started = Date.now();
  const cluster = await startStreamingReplication({ database: 'conduit_repl_test' });
  console.log(`\nreplicas: primary ${cluster.primary.url} and its streaming replica on port ${cluster.replica.port}, ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  Object.assign(process.env, { DATABASE_URL: cluster.primary.url, DATABASE_REPLICA_URLS: cluster.replica.url });
  (globalThis as { replicatedDatabase?: StreamingReplication }).replicatedDatabase = cluster;
}
