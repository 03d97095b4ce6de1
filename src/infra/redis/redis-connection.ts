import type { createKeyv, RedisClientOptions, RedisClusterOptions } from '@keyv/redis';
import type { ConfigService } from '@nestjs/config';
import Redis, { Cluster, RedisOptions } from 'ioredis';
import type { Environment } from '@/config/environment';

interface HostPort {
  host: string;
  port: number;
}

/**
 * Where Redis is, from the configuration: one node (REDIS_URL), a primary found through Sentinel
 * (REDIS_SENTINELS, REDIS_SENTINEL_MASTER), or a Cluster discovered from seed nodes
 * (REDIS_CLUSTER_NODES). Every connection of every process is made here, so that the cache,
 * pub/sub, rate limits, mail marks and BullMQ always talk to the same Redis.
 */
export type RedisTopology =
  | { kind: 'node'; url: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; master: string; username?: string; password?: string }
  | { kind: 'cluster'; nodes: HostPort[]; username?: string; password?: string };

export type RedisSettings = Pick<Environment, 'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_MASTER' | 'REDIS_CLUSTER_NODES'>;

/** The settings that say where Redis is. */
export function redisSettings(config: ConfigService<Environment, true>): RedisSettings {
  return {
    REDIS_URL: config.get('REDIS_URL', { infer: true }),
    REDIS_SENTINELS: config.get('REDIS_SENTINELS', { infer: true }),
    REDIS_SENTINEL_MASTER: config.get('REDIS_SENTINEL_MASTER', { infer: true }),
    REDIS_CLUSTER_NODES: config.get('REDIS_CLUSTER_NODES', { infer: true }),
  };
}

function hostPorts(list: string): HostPort[] {
  return list
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const at = item.lastIndexOf(':');
      return { host: item.slice(0, at), port: Number(item.slice(at + 1)) };
    });
}

export function redisTopology(settings: RedisSettings): RedisTopology {
  const url = new URL(settings.REDIS_URL);
  const credentials = {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
  if (settings.REDIS_SENTINELS) return { kind: 'sentinel', sentinels: hostPorts(settings.REDIS_SENTINELS), master: settings.REDIS_SENTINEL_MASTER, ...credentials };
  if (settings.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: hostPorts(settings.REDIS_CLUSTER_NODES), ...credentials };
  return { kind: 'node', url: settings.REDIS_URL };
}

/** What to show of the topology in logs and messages: never a password. */
export function describeTopology(topology: RedisTopology): string {
  const list = (items: HostPort[]) => items.map(({ host, port }) => `${host}:${port}`).join(',');
  switch (topology.kind) {
    case 'node': {
      const url = new URL(topology.url);
      if (url.password) url.password = '***';
      return url.toString();
    }
    case 'sentinel':
      return `sentinel ${topology.master} via ${list(topology.sentinels)}`;
    case 'cluster':
      return `cluster via ${list(topology.nodes)}`;
  }
}

/**
 * An ioredis connection (a Cluster client for a cluster) with `options`. A Sentinel connection
 * asks the sentinels for the primary again whenever it reconnects, and so follows a failover.
 */
export function createRedisConnection(settings: RedisSettings, options: RedisOptions): Redis | Cluster {
  const topology = redisTopology(settings);
  switch (topology.kind) {
    case 'node':
      return new Redis(topology.url, options);
    case 'sentinel': {
      const { retryStrategy, ...rest } = options;
      return new Redis({
        ...rest,
        sentinels: topology.sentinels,
        name: topology.master,
        username: topology.username,
        password: topology.password,
        // Reconnects go through the sentinels: a replica promoted meanwhile is the one found.
        ...(retryStrategy ? { sentinelReconnectStrategy: retryStrategy, retryStrategy } : {}),
        // A primary demoted to replica answers writes with READONLY: reconnect, to the new primary.
        reconnectOnError: (error) => error.message.startsWith('READONLY'),
      });
    }
    case 'cluster': {
      const { enableOfflineQueue, retryStrategy, ...redisOptions } = options;
      return new Cluster(topology.nodes, {
        redisOptions: { ...redisOptions, username: topology.username, password: topology.password },
        ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
        ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
        // Slots move during a failover: follow MOVED/ASK, and refresh the map when a node is lost.
        maxRedirections: 16,
        retryDelayOnFailover: 200,
      });
    }
  }
}

/**
 * A connection for a request's side reads and writes (rate limits, token versions, the cache's
 * budget): a command fails at once while Redis is away, so the caller can fall back, and the
 * connection keeps reconnecting in the background.
 */
export function createFailFastRedisConnection(config: ConfigService<Environment, true>, commandTimeoutMs?: number): Redis | Cluster {
  return createRedisConnection(redisSettings(config), {
    connectTimeout: 2_000,
    commandTimeout: Math.min(commandTimeoutMs ?? Infinity, config.get('REDIS_COMMAND_TIMEOUT_MS', { infer: true })),
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
  });
}

/**
 * The connection for the cache's Keyv store (node-redis), with the same topology. `socket` holds
 * the client's timeouts and reconnect strategy.
 */
export function keyvConnection(
  settings: RedisSettings,
  socket: { connectTimeout: number; reconnectStrategy: ((retries: number) => number) | false },
  disableOfflineQueue: boolean,
): Parameters<typeof createKeyv>[0] {
  // createKeyv is typed for one node only; its adapter takes Sentinel and Cluster options alike.
  type KeyvConnect = Parameters<typeof createKeyv>[0];
  const topology = redisTopology(settings);
  switch (topology.kind) {
    case 'node':
      return { url: topology.url, disableOfflineQueue, socket } satisfies RedisClientOptions;
    case 'sentinel':
      return {
        name: topology.master,
        sentinelRootNodes: topology.sentinels,
        nodeClientOptions: { username: topology.username, password: topology.password, disableOfflineQueue, socket },
        sentinelClientOptions: { socket },
      } as unknown as KeyvConnect;
    case 'cluster':
      return {
        rootNodes: topology.nodes.map(({ host, port }) => ({ socket: { host, port } })),
        defaults: { username: topology.username, password: topology.password, disableOfflineQueue, socket },
      } satisfies RedisClusterOptions as unknown as KeyvConnect;
  }
}
