import { validateEnvironment } from '@/config/environment';
import { describeTopology, redisTopology } from './redis-connection';

const base = { DATABASE_URL: 'postgresql://localhost/conduit', JWT_SECRET: 'x'.repeat(32) };

describe('redisTopology', () => {
  it('is one node by default, Sentinel or Cluster when their settings are given', () => {
    expect(redisTopology(validateEnvironment(base))).toEqual({ kind: 'node', url: 'redis://127.0.0.1:6379' });
    expect(redisTopology(validateEnvironment({ ...base, REDIS_URL: 'redis://app:s%3Acret@ignored:1', REDIS_SENTINELS: 'a:26379, b:26380' }))).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 'a', port: 26379 },
        { host: 'b', port: 26380 },
      ],
      master: 'mymaster',
      username: 'app',
      password: 's:cret',
    });
    expect(redisTopology(validateEnvironment({ ...base, REDIS_CLUSTER_NODES: '10.0.0.1:7000' }))).toEqual({ kind: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }] });
  });

  it('never shows a password', () => {
    expect(describeTopology(redisTopology(validateEnvironment({ ...base, REDIS_URL: 'redis://:secret@cache:6379' })))).toBe('redis://:***@cache:6379');
    expect(describeTopology(redisTopology(validateEnvironment({ ...base, REDIS_CLUSTER_NODES: 'a:1,b:2' })))).toBe('cluster via a:1,b:2');
  });

  it('refuses malformed node lists, and Sentinel with Cluster', () => {
    expect(() => validateEnvironment({ ...base, REDIS_SENTINELS: 'no-port' })).toThrow('REDIS_SENTINELS must be a comma-separated list of host:port');
    expect(() => validateEnvironment({ ...base, REDIS_SENTINELS: 'a:1', REDIS_CLUSTER_NODES: 'b:2' })).toThrow('set REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both');
  });
});
