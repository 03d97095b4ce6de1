import { ConfigurationError, PUBLISHED_JWT_SECRETS, validateEnvironment } from './environment';

const valid = { DATABASE_URL: 'postgresql://localhost/conduit', JWT_SECRET: 'x'.repeat(32) };

describe('validateEnvironment', () => {
  it('applies the documented defaults', () => {
    const environment = validateEnvironment(valid);
    expect(environment.PORT).toBe(3000);
    expect(environment.CORS_ORIGINS).toEqual(['*']);
    expect(environment.JWT_TTL_SECONDS).toBe(604800);
  });

  it('parses numbers and lists', () => {
    const environment = validateEnvironment({ ...valid, PORT: '8080', CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(environment.PORT).toBe(8080);
    expect(environment.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
  });

  it('names every missing required setting in one line', () => {
    expect(() => validateEnvironment({})).toThrow(ConfigurationError);
    expect(() => validateEnvironment({})).toThrow(/DATABASE_URL is required; JWT_SECRET is required/);
  });

  it('refuses a short secret without printing it', () => {
    let message = '';
    try {
      validateEnvironment({ ...valid, JWT_SECRET: 'short-secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('JWT_SECRET must be at least 32 characters long');
    expect(message).not.toContain('short-secret');
    expect(message.split('\n')).toHaveLength(1);
  });

  it('refuses a published default JWT_SECRET in production only, in one line without the secret', () => {
    for (const secret of PUBLISHED_JWT_SECRETS) {
      expect(validateEnvironment({ ...valid, JWT_SECRET: secret }).JWT_SECRET).toBe(secret);
      let message = '';
      try {
        validateEnvironment({ ...valid, NODE_ENV: 'production', JWT_SECRET: secret });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        message = (error as Error).message;
      }
      expect(message).toMatch(/JWT_SECRET is a published default/);
      expect(message).not.toContain(secret);
      expect(message.split('\n')).toHaveLength(1);
    }
    expect(validateEnvironment({ ...valid, NODE_ENV: 'production' }).NODE_ENV).toBe('production');
  });

  it('keeps tests quiet and without rate limits unless told otherwise', () => {
    const test = validateEnvironment({ ...valid, NODE_ENV: 'test' });
    expect(test.LOG_LEVEL).toBe('error');
    expect(test.RATE_LIMIT_ENABLED).toBe(false);
    const told = validateEnvironment({ ...valid, NODE_ENV: 'test', LOG_LEVEL: 'info', RATE_LIMIT_ENABLED: 'true' });
    expect(told.LOG_LEVEL).toBe('info');
    expect(told.RATE_LIMIT_ENABLED).toBe(true);
    const production = validateEnvironment({ ...valid, NODE_ENV: 'production' });
    expect(production.LOG_LEVEL).toBe('info');
    expect(production.RATE_LIMIT_ENABLED).toBe(true);
  });

  it('reads TRUST_PROXY as a boolean, a hop count or a list of subnets', () => {
    expect(validateEnvironment(valid).TRUST_PROXY).toBe(false);
    expect(validateEnvironment({ ...valid, TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(validateEnvironment({ ...valid, TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(validateEnvironment({ ...valid, TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8']);
  });

  it('refuses a short metrics token without printing it, and a port out of range', () => {
    expect(() => validateEnvironment({ ...valid, METRICS_TOKEN: 'tiny-token' })).toThrow(/METRICS_TOKEN must be at least 16 characters long/);
    expect(() => validateEnvironment({ ...valid, METRICS_TOKEN: 'tiny-token' })).not.toThrow(/tiny-token/);
    expect(() => validateEnvironment({ ...valid, METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
  });

  it('searches with PostgreSQL unless an Elasticsearch node is given, and checks the node and log settings', () => {
    expect(validateEnvironment(valid)).toMatchObject({ ELASTICSEARCH_INDEX: 'conduit-articles', LOG_ELASTICSEARCH: false });
    expect(validateEnvironment(valid).ELASTICSEARCH_NODE).toBeUndefined();
    expect(validateEnvironment({ ...valid, ELASTICSEARCH_NODE: 'http://es:9200', LOG_ELASTICSEARCH: 'true' })).toMatchObject({
      ELASTICSEARCH_NODE: 'http://es:9200',
      LOG_ELASTICSEARCH: true,
    });
    expect(() => validateEnvironment({ ...valid, ELASTICSEARCH_NODE: 'es:9200' })).toThrow(/ELASTICSEARCH_NODE must be an http:\/\/ or https:\/\/ URL/);
    expect(() => validateEnvironment({ ...valid, LOG_ELASTICSEARCH: 'true' })).toThrow(/ELASTICSEARCH_NODE is required/);
    expect(() => validateEnvironment({ ...valid, ELASTICSEARCH_INDEX: 'Bad Name' })).toThrow(/ELASTICSEARCH_INDEX must be a lower-case/);
  });

  it('names an engine with SEARCH_ENGINE, and needs that engine’s node', () => {
    expect(validateEnvironment({ ...valid, SEARCH_ENGINE: 'opensearch', OPENSEARCH_NODE: 'http://os:9200' })).toMatchObject({ SEARCH_ENGINE: 'opensearch', OPENSEARCH_NODE: 'http://os:9200' });
    expect(validateEnvironment({ ...valid, SEARCH_ENGINE: '' }).SEARCH_ENGINE).toBeUndefined();
    expect(() => validateEnvironment({ ...valid, SEARCH_ENGINE: 'opensearch' })).toThrow(/OPENSEARCH_NODE is required/);
    expect(() => validateEnvironment({ ...valid, SEARCH_ENGINE: 'elasticsearch' })).toThrow(/ELASTICSEARCH_NODE is required/);
    expect(() => validateEnvironment({ ...valid, SEARCH_ENGINE: 'solr' })).toThrow(/SEARCH_ENGINE/);
    // The request log goes to the configured OpenSearch node: no Elasticsearch node is needed for it.
    expect(validateEnvironment({ ...valid, SEARCH_ENGINE: 'opensearch', OPENSEARCH_NODE: 'http://os:9200', LOG_ELASTICSEARCH: 'true' })).toMatchObject({ LOG_ELASTICSEARCH: true });
    expect(() => validateEnvironment({ ...valid, SEARCH_ENGINE: 'postgres', LOG_ELASTICSEARCH: 'true' })).toThrow(/ELASTICSEARCH_NODE is required/);
    expect(() => validateEnvironment({ ...valid, SEARCH_ENGINE: 'opensearch', OPENSEARCH_NODE: 'os:9200' })).toThrow(/OPENSEARCH_NODE must be an http/);
  });
});

describe('read replica settings', () => {
  it('default to none, and parse a list of replicas', () => {
    expect(validateEnvironment(valid).DATABASE_REPLICA_URLS).toEqual([]);
    const environment = validateEnvironment({ ...valid, DATABASE_REPLICA_URLS: 'postgresql://r1:5432/conduit, postgres://app:pw@r2/conduit' });
    expect(environment.DATABASE_REPLICA_URLS).toEqual(['postgresql://r1:5432/conduit', 'postgres://app:pw@r2/conduit']);
    expect(environment.DATABASE_REPLICA_MAX_LAG_MS).toBe(5_000);
    expect(environment.DATABASE_READ_YOUR_WRITES_MS).toBe(10_000);
  });

  it('refuse anything but postgresql:// URLs', () => {
    expect(() => validateEnvironment({ ...valid, DATABASE_REPLICA_URLS: 'postgresql://r1/conduit,mysql://r2/conduit' })).toThrow(
      'DATABASE_REPLICA_URLS must be a comma-separated list of postgresql:// connection strings',
    );
  });

  it('make the writer window outlast the lag bound: by default, and refused when set shorter', () => {
    expect(validateEnvironment({ ...valid, DATABASE_REPLICA_MAX_LAG_MS: '30000' }).DATABASE_READ_YOUR_WRITES_MS).toBe(31_000);
    expect(() =>
      validateEnvironment({ ...valid, DATABASE_REPLICA_URLS: 'postgresql://r1/conduit', DATABASE_REPLICA_MAX_LAG_MS: '5000', DATABASE_READ_YOUR_WRITES_MS: '2000' }),
    ).toThrow('DATABASE_READ_YOUR_WRITES_MS must be at least DATABASE_REPLICA_MAX_LAG_MS + DATABASE_REPLICA_CHECK_MS');
  });
});
