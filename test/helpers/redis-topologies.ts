import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { adoptChild, freePort, redisAnswers } from './child-processes';

/**
 * Real Redis topologies for the suites that need more than one node: a Redis Cluster of primaries
 * (`redis-server --cluster-enabled yes`, joined by `redis-cli --cluster create`), and a primary
 * with a replica watched by sentinels (`redis-server --sentinel`). Every process is a child of
 * the test (stopped by `stopAll()`), on spare ports, without persistence, in a temporary folder.
 */

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms`);
    await sleep(100);
  }
}

export function redisCli(port: number, ...args: string[]): string {
  const run = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
  if (run.status !== 0) throw new Error(`redis-cli -p ${port} ${args.join(' ')} failed: ${run.stderr}${run.stdout}`);
  return run.stdout;
}

export interface RedisNode {
  port: number;
  process: ChildProcess;
  /** SIGKILL: no goodbye to clients, no hand-over. */
  kill(): Promise<void>;
}

async function startNode(dir: string, port: number, args: string[]): Promise<RedisNode> {
  const child = spawn('redis-server', [...args, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const stop = adoptChild(child);
  await until(`redis-server on port ${port}`, 10_000, () => redisAnswers(port));
  return { port, process: child, kill: () => stop('SIGKILL') };
}

export interface RedisClusterProcesses {
  nodes: RedisNode[];
  /** `REDIS_CLUSTER_NODES` for the application: every primary as host:port. */
  seeds: string;
  /** The keys of every primary matching a glob, by port. */
  keysByNode(pattern: string): Map<number, string[]>;
  stop(): Promise<void>;
}

/** A Redis Cluster of `primaries` nodes (no replicas), its 16384 slots shared out, state ok. */
export async function startRedisCluster(primaries = 3): Promise<RedisClusterProcesses> {
  const dir = mkdtempSync(path.join(tmpdir(), 'conduit-redis-cluster-'));
  const ports: number[] = [];
  for (let index = 0; index < primaries; index += 1) ports.push(await freePort());
  const nodes = await Promise.all(
    ports.map((port) => startNode(dir, port, ['--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '2000'])),
  );
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  await until('the cluster', 20_000, () => ports.every((port) => redisCli(port, 'CLUSTER', 'INFO').includes('cluster_state:ok')));
  return {
    nodes,
    seeds: ports.map((port) => `127.0.0.1:${port}`).join(','),
    keysByNode: (pattern) => new Map(ports.map((port) => [port, redisCli(port, '--scan', '--pattern', pattern).split('\n').filter(Boolean)])),
    stop: async () => {
      await Promise.all(nodes.map((node) => node.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisSentinelProcesses {
  primary: RedisNode;
  replica: RedisNode;
  sentinels: RedisNode[];
  /** The master name the sentinels watch (`REDIS_SENTINEL_MASTER`). */
  master: string;
  /** `REDIS_SENTINELS` for the application. */
  addresses: string;
  /** The port of the node the sentinels report as primary now. */
  currentPrimaryPort(): number;
  stop(): Promise<void>;
}

/**
 * A primary, a replica of it and three sentinels with a quorum of two, quick to fail over
 * (`down-after-milliseconds` 1000, `failover-timeout` 5000): ready once every sentinel knows the
 * replica and the other sentinels.
 */
export async function startRedisSentinels(master = 'conduit'): Promise<RedisSentinelProcesses> {
  const dir = mkdtempSync(path.join(tmpdir(), 'conduit-redis-sentinel-'));
  const primary = await startNode(dir, await freePort(), []);
  const replicaPort = await freePort();
  const replica = await startNode(dir, replicaPort, ['--replicaof', '127.0.0.1', String(primary.port)]);
  await until('the replica in sync', 20_000, () => redisCli(replicaPort, 'INFO', 'replication').includes('master_link_status:up'));
  const sentinels: RedisNode[] = [];
  for (let index = 0; index < 3; index += 1) {
    const port = await freePort();
    const config = path.join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${master} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${master} 1000`,
        `sentinel failover-timeout ${master} 5000`,
        `sentinel parallel-syncs ${master} 1`,
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
    const stop = adoptChild(child);
    await until(`sentinel on port ${port}`, 10_000, () => redisAnswers(port));
    sentinels.push({ port, process: child, kill: () => stop('SIGKILL') });
  }
  await until('the sentinels to know each other and the replica', 30_000, () =>
    sentinels.every((sentinel) => {
      const info = redisCli(sentinel.port, 'INFO', 'sentinel');
      return /slaves=1,sentinels=3/.test(info);
    }),
  );
  const currentPrimaryPort = () => Number(redisCli(sentinels[0].port, 'SENTINEL', 'get-master-addr-by-name', master).split('\n')[1]);
  return {
    primary,
    replica,
    sentinels,
    master,
    addresses: sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(','),
    currentPrimaryPort,
    stop: async () => {
      await Promise.all([primary, replica, ...sentinels].map((node) => node.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
