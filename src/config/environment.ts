import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MinLength, Min, ValidateIf, validateSync } from 'class-validator';

/** `host:port` pairs separated by commas (spaces allowed around them). */
const HOST_PORT_LIST = /^\s*[\w.-]+:\d{1,5}\s*(,\s*[\w.-]+:\d{1,5}\s*)*$/;

/**
 * Every setting Conduit reads from the environment, parsed and validated once at start-up.
 * `.env.example` documents each one; keep the two in step.
 */
export class Environment {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: '$property must be a postgresql:// connection string' })
  DATABASE_URL: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_MAX = 10;

  @Type(() => Number)
  @IsInt()
  @Min(100)
  DATABASE_STATEMENT_TIMEOUT_MS = 10_000;

  /**
   * Streaming replicas of DATABASE_URL for the reads that tolerate a little lag (anonymous lists,
   * article pages, tags, profiles, comments, PostgreSQL search), as comma-separated
   * `postgresql://` URLs. Unset: every read goes to DATABASE_URL. May hold passwords: never logged.
   */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',').map((url) => url.trim()).filter(Boolean) : value))
  @IsString({ each: true })
  @Matches(/^postgres(ql)?:\/\/[^,\s]+$/, { each: true, message: '$property must be a comma-separated list of postgresql:// connection strings' })
  DATABASE_REPLICA_URLS: string[] = [];

  /** A replica further behind the primary than this (or unreachable) is left out until it catches up. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  DATABASE_REPLICA_MAX_LAG_MS = 5_000;

  /** How often each replica's state (reachable, replayed WAL position) is checked against the primary's. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  DATABASE_REPLICA_CHECK_MS = 1_000;

  /**
   * How long a user who wrote is remembered (in Redis, by the primary's WAL position after the
   * write): meanwhile their reads go only to a replica that has replayed that position, else to
   * the primary. At least DATABASE_REPLICA_MAX_LAG_MS plus DATABASE_REPLICA_CHECK_MS, after which
   * every replica still in use has replayed it. Unset: 10 s, or that sum when larger.
   */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  DATABASE_READ_YOUR_WRITES_MS = 10_000;

  @IsString()
  @Matches(/^rediss?:\/\//, { message: '$property must be a redis:// connection string' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /**
   * Redis Sentinel instead of the one node of REDIS_URL: the sentinels as `host:port,host:port`,
   * asked for the current primary of REDIS_SENTINEL_MASTER. REDIS_URL's user and password, if any,
   * are those of the Redis nodes.
   */
  @IsOptional()
  @Matches(HOST_PORT_LIST, { message: '$property must be a comma-separated list of host:port' })
  REDIS_SENTINELS?: string;

  /** The name of the primary the sentinels watch (their `sentinel monitor <name> ...`). */
  @IsString()
  @Matches(/^[\w.-]+$/, { message: '$property must be a sentinel master name' })
  REDIS_SENTINEL_MASTER = 'mymaster';

  /**
   * Redis Cluster instead of the one node of REDIS_URL: some of its nodes as `host:port,host:port`,
   * from which the rest of the cluster is discovered. REDIS_URL's user and password, if any, apply.
   */
  @IsOptional()
  @Matches(HOST_PORT_LIST, { message: '$property must be a comma-separated list of host:port' })
  REDIS_CLUSTER_NODES?: string;

  /** Off for benchmarks and debugging: every read then goes to PostgreSQL. */
  @Transform(({ value }: { value: unknown }) => parseBoolean(value))
  @IsBoolean()
  CACHE_ENABLED = true;

  /** The longest a cached response may live, even if an invalidation were ever missed. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  CACHE_TTL_SECONDS = 300;

  /** Bytes the response cache may take in Redis (entries and keys); past it the oldest entries are deleted. */
  @Type(() => Number)
  @IsInt()
  @Min(65_536)
  CACHE_REDIS_MAX_BYTES = 64 * 1024 * 1024;

  /** Bytes one api process may hold as local copies of cached responses; past it the least recently used go. */
  @Type(() => Number)
  @IsInt()
  @Min(65_536)
  CACHE_LOCAL_MAX_BYTES = 32 * 1024 * 1024;

  /** A response larger than this (serialised) is never cached: it is built for each request instead. */
  @Type(() => Number)
  @IsInt()
  @Min(1_024)
  CACHE_ENTRY_MAX_BYTES = 2 * 1024 * 1024;

  /** Secret: never logged. */
  @IsString()
  @MinLength(32, { message: '$property must be at least 32 characters long' })
  JWT_SECRET: string;

  @Type(() => Number)
  @IsInt()
  @Min(60)
  JWT_TTL_SECONDS = 7 * 24 * 3600;

  /** Comma-separated origins, or "*" for any origin. */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.split(',').map((origin) => origin.trim()).filter(Boolean) : value,
  )
  @IsString({ each: true })
  CORS_ORIGINS: string[] = ['*'];

  @IsString()
  @Matches(/^\d+(b|kb|mb)?$/i, { message: '$property must be a size such as 1mb or 500kb' })
  BODY_LIMIT = '1mb';

  /** Object members and array elements one JSON body may hold in all; more get 413 before validation. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  BODY_MAX_KEYS = 1_000;

  /** Objects and arrays one JSON body may nest; deeper gets 422 before validation. */
  @Type(() => Number)
  @IsInt()
  @Min(3)
  @Max(100)
  BODY_MAX_DEPTH = 10;

  /** Elements of any one array of a JSON body; more get 413 before validation. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  BODY_MAX_ARRAY_LENGTH = 100;

  /** Unset: `info`, or `warn` under NODE_ENV=test so that test runs stay quiet. */
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** After SIGTERM, how long requests and jobs in flight may take to finish before the process exits anyway. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SHUTDOWN_TIMEOUT_MS = 10_000;

  /**
   * Which proxies in front of the api to believe about the client's address (X-Forwarded-For):
   * `false` (none), `true` (any: only behind a proxy that overwrites the header), a number of hops,
   * or comma-separated addresses/subnets (`loopback`, `10.0.0.0/8`). Rate limits key on that address.
   */
  @Transform(({ value }: { value: unknown }) => parseTrustProxy(value))
  TRUST_PROXY: boolean | number | string[] = false;

  /** Slow clients cannot hold connections: the longest wait for a request's headers, whole request, and between keep-alive requests. */
  @Type(() => Number)
  @IsInt()
  @Min(1_000)
  HTTP_HEADERS_TIMEOUT_MS = 20_000;

  @Type(() => Number)
  @IsInt()
  @Min(1_000)
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  @Type(() => Number)
  @IsInt()
  @Min(1_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 65_000;

  /** The longest wait for a free PostgreSQL connection from the pool (or a new one) before the request fails. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  DATABASE_POOL_TIMEOUT_MS = 5_000;

  /** The longest a Redis command of the api may take (pub/sub, rate limits, metrics) before it counts as failed. */
  @Type(() => Number)
  @IsInt()
  @Min(50)
  REDIS_COMMAND_TIMEOUT_MS = 1_000;

  /**
   * Rate limits in Redis, shared by every replica. Unset: on, except under NODE_ENV=test.
   * `RATE_LIMIT_MAX` requests per `RATE_LIMIT_WINDOW_SECONDS` per client address on every route;
   * login and registration allow `RATE_LIMIT_AUTH_MAX` per address and `RATE_LIMIT_AUTH_ACCOUNT_MAX`
   * per email in the same window.
   */
  @Transform(({ value }: { value: unknown }) => parseBoolean(value))
  @IsOptional()
  @IsBoolean()
  RATE_LIMIT_ENABLED?: boolean;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_MAX = 600;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_AUTH_MAX = 20;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_AUTH_ACCOUNT_MAX = 5;

  /** Comments one user may post per hour (with RATE_LIMIT_ENABLED); more are answered 429. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  COMMENTS_PER_HOUR = 120;

  /** Articles one user may create per hour (with RATE_LIMIT_ENABLED); more are answered 429. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  ARTICLES_PER_HOUR = 30;

  /** Tags that did not exist yet one user may introduce per hour (with RATE_LIMIT_ENABLED); more are answered 429. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  NEW_TAGS_PER_HOUR = 100;

  /** Searches one client address may make per RATE_LIMIT_WINDOW_SECONDS (with RATE_LIMIT_ENABLED); more are answered 429. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SEARCH_RATE_LIMIT_MAX = 60;

  /** Searches one api process runs at a time; they never take more of the database pool than this. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SEARCH_MAX_CONCURRENT = 3;

  /** How long a search waits for a free slot (SEARCH_MAX_CONCURRENT) before it is answered 503. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SEARCH_QUEUE_TIMEOUT_MS = 2_000;

  /** The statement timeout of a PostgreSQL search (shorter than DATABASE_STATEMENT_TIMEOUT_MS); past it, 503. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  SEARCH_STATEMENT_TIMEOUT_MS = 3_000;

  /** Matches are counted up to this many: `articlesCount` of a search is at most this. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SEARCH_TOTAL_MAX = 10_000;

  /** Secret: a bearer token that GET /metrics then requires. Never logged. */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: '$property must be at least 16 characters long' })
  METRICS_TOKEN?: string;

  /** Serve /metrics on this port (e.g. reachable only inside the cluster) instead of the api's port. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  METRICS_PORT?: number;

  /**
   * The address METRICS_PORT and WORKER_METRICS_PORT listen on: loopback unless the scraper needs
   * more (`0.0.0.0` or `::` for every interface: then set METRICS_TOKEN as well).
   */
  @IsString()
  @IsNotEmpty()
  METRICS_HOST = '127.0.0.1';

  /** The worker serves its own /metrics on this port (unset: no metrics endpoint in the worker). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  WORKER_METRICS_PORT?: number;

  /**
   * SMTP server for outgoing mail, e.g. `smtp://user:pass@mail.example.com:587` or `smtps://...`.
   * Unset: mail is written as .eml files to MAIL_DIR. Secret (may hold a password): never logged.
   */
  @IsOptional()
  @IsString()
  @Matches(/^smtps?:\/\//, { message: '$property must be an smtp:// or smtps:// URL' })
  MAIL_URL?: string;

  /** Sender of every notification mail. */
  @IsString()
  MAIL_FROM = 'Conduit <no-reply@conduit.local>';

  /** Folder for the .eml files when MAIL_URL is unset (created if missing). */
  @IsString()
  MAIL_DIR = 'var/mail';

  /** The frontend's address: links in mails point there. */
  @IsString()
  @Matches(/^https?:\/\//, { message: '$property must be an http:// or https:// URL' })
  APP_URL = 'http://localhost:4200';

  /** Attempts of a background job before it lands in the failed set. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  JOB_ATTEMPTS = 5;

  /** First retry delay of a failed job; each further retry waits twice as long. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  JOB_BACKOFF_MS = 2_000;

  /** A job whose worker died (its lock expired) runs again after about this long. */
  @Type(() => Number)
  @IsInt()
  @Min(1_000)
  JOB_LOCK_MS = 30_000;

  /** How often the worker's relay looks for new outbox events. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  OUTBOX_POLL_MS = 500;

  /** An event handed to the queue but not completed after this long is handed over again. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  OUTBOX_REDISPATCH_SECONDS = 120;

  /** When the daily digest goes out (cron, server time). */
  @IsString()
  DIGEST_CRON = '0 7 * * *';

  @IsOptional()
  @IsString()
  APP_VERSION?: string;

  /**
   * Elasticsearch node, e.g. `http://localhost:9200`: search then runs on Elasticsearch, kept in
   * step by the worker. Unset: PostgreSQL full-text search. May hold credentials: never logged.
   */
  @ValidateIf(
    (environment: Environment) =>
      environment.ELASTICSEARCH_NODE !== undefined || (environment.LOG_ELASTICSEARCH && environment.SEARCH_ENGINE !== 'opensearch') || environment.SEARCH_ENGINE === 'elasticsearch',
  )
  @IsDefined({ message: '$property is required when SEARCH_ENGINE is elasticsearch, or LOG_ELASTICSEARCH is true and SEARCH_ENGINE is not opensearch' })
  @IsString()
  @Matches(/^https?:\/\//, { message: '$property must be an http:// or https:// URL' })
  ELASTICSEARCH_NODE?: string;

  /** The alias searches and writes go through; each reindex creates `<alias>-<timestamp>` behind it. */
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_-]*$/, { message: '$property must be a lower-case Elasticsearch index name' })
  ELASTICSEARCH_INDEX = 'conduit-articles';

  /** The alias of generated features' documents (`--searchable`), one index for every feature. */
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_-]*$/, { message: '$property must be a lower-case Elasticsearch index name' })
  ELASTICSEARCH_FEATURES_INDEX = 'conduit-features';

  /** Longest an Elasticsearch request may take (the client has no timeout of its own). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  ELASTICSEARCH_TIMEOUT_MS = 5_000;

  /**
   * Also send the structured request logs to the search node, one index a day
   * (`<prefix>-YYYY.MM.DD`): to OPENSEARCH_NODE when SEARCH_ENGINE is opensearch, else to
   * ELASTICSEARCH_NODE.
   */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? ['true', '1', 'yes', 'on'].includes(value.toLowerCase()) : value))
  @IsBoolean()
  LOG_ELASTICSEARCH = false;

  @IsString()
  @Matches(/^[a-z0-9][a-z0-9_-]*$/, { message: '$property must be a lower-case Elasticsearch index name' })
  LOG_ELASTICSEARCH_PREFIX = 'conduit-logs';

  /**
   * The search engine, when configuration should name it: `postgres`, `elasticsearch` (needs
   * ELASTICSEARCH_NODE) or `opensearch` (needs OPENSEARCH_NODE). Unset: Elasticsearch when
   * ELASTICSEARCH_NODE is set, else PostgreSQL.
   */
  @IsOptional()
  @IsIn(['postgres', 'elasticsearch', 'opensearch'])
  SEARCH_ENGINE?: 'postgres' | 'elasticsearch' | 'opensearch';

  /**
   * OpenSearch node, e.g. `http://localhost:9200`, for SEARCH_ENGINE=opensearch: same indices
   * (ELASTICSEARCH_INDEX, ELASTICSEARCH_FEATURES_INDEX) and timeout (ELASTICSEARCH_TIMEOUT_MS).
   * May hold credentials: never logged.
   */
  @ValidateIf((environment: Environment) => environment.OPENSEARCH_NODE !== undefined || environment.SEARCH_ENGINE === 'opensearch')
  @IsDefined({ message: '$property is required when SEARCH_ENGINE is opensearch' })
  @IsString()
  @Matches(/^https?:\/\//, { message: '$property must be an http:// or https:// URL' })
  OPENSEARCH_NODE?: string;
  /** Where uploaded images and their variants live: `local` (disk, served under /media/) or `s3`. */
  @IsIn(['local', 's3'])
  STORAGE_DRIVER: 'local' | 's3' = 'local';

  /** Folder of the local storage driver (created if missing). */
  @IsString()
  STORAGE_LOCAL_DIR = 'var/storage';

  /** Public address of the image variants: the api's /media/ for local storage, the bucket or CDN for s3. */
  @IsString()
  @Matches(/^(https?:\/\/|\/)/, { message: '$property must be an http(s):// URL or a path starting with /' })
  MEDIA_PUBLIC_URL = 'http://localhost:3000/media';

  /** Bucket of the s3 storage driver (required when STORAGE_DRIVER=s3). */
  @ValidateIf((environment: Environment) => environment.STORAGE_DRIVER === 's3')
  @IsString({ message: '$property is required when STORAGE_DRIVER=s3' })
  STORAGE_S3_BUCKET?: string;

  @IsString()
  STORAGE_S3_REGION = 'us-east-1';

  /** An S3-compatible endpoint (MinIO, R2, ...); unset for AWS. Credentials come from the AWS_* variables. */
  @IsOptional()
  @Matches(/^https?:\/\//, { message: '$property must be an http:// or https:// URL' })
  STORAGE_S3_ENDPOINT?: string;

  /** Path-style addressing (bucket in the path), which most S3-compatible servers need. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? ['true', '1', 'yes', 'on'].includes(value.toLowerCase()) : value))
  @IsBoolean()
  STORAGE_S3_FORCE_PATH_STYLE = false;

  /** Largest image file accepted; a larger upload is cut off and answered 413. */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  UPLOAD_MAX_BYTES = 10 * 1024 * 1024;

  /** Image uploads one user may make per hour; more are answered 429. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  UPLOADS_PER_HOUR = 30;

  /**
   * Uploads one user may have in flight at once in one api process; more are answered 429 before
   * their body is read. Each holds a temporary file and, while it is inspected, its bytes in memory.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  UPLOADS_CONCURRENT_PER_USER = 2;

  /** Storage one user may hold (originals and variants); beyond it, uploads are answered 413. */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  UPLOAD_QUOTA_BYTES = 200 * 1024 * 1024;

  /** Decoded pixels an image may declare (width x height): bounds memory against decompression bombs. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  IMAGE_MAX_PIXELS = 50_000_000;

  /** Longest side an image may declare, in pixels. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  IMAGE_MAX_DIMENSION = 12_000;

  /** Variants of an upload that no user or article uses are deleted this long after the upload. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  UPLOAD_UNUSED_TTL_HOURS = 24;
}

function parseBoolean(value: unknown): unknown {
  return typeof value === 'string' ? !['false', '0', 'no', 'off'].includes(value.trim().toLowerCase()) : value;
}

/** Express's `trust proxy` setting: a boolean, a hop count, or a list of addresses and subnets. */
function parseTrustProxy(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim().toLowerCase();
  if (['true', 'false'].includes(text)) return text === 'true';
  if (/^\d+$/.test(text)) return Number(text);
  return text.split(',').map((entry) => entry.trim()).filter(Boolean);
}

/** Thrown when the environment is unusable; its message is one line meant for the operator. */
export class ConfigurationError extends Error {}

/**
 * JWT secrets published with the project (docker-compose.yml, .env.example, the test harness):
 * anyone can sign tokens with them, so production refuses them.
 */
export const PUBLISHED_JWT_SECRETS: ReadonlySet<string> = new Set([
  'local-development-only-jwt-secret-do-not-use-in-production',
  'change-me-to-a-long-random-secret-of-32-chars-or-more',
  'test-only-jwt-secret-not-for-any-real-deployment-0123456789',
]);

export function validateEnvironment(raw: Record<string, unknown>): Environment {
  // Empty strings mean "not set", so that `FOO=` in an env file falls back to the default.
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
  const environment = plainToInstance(Environment, present, { exposeDefaultValues: true });
  // Defaults that depend on NODE_ENV: tests stay quiet and run without rate limits (their own suite turns them on).
  if (present.LOG_LEVEL === undefined && environment.NODE_ENV === 'test') environment.LOG_LEVEL = 'error';
  environment.RATE_LIMIT_ENABLED ??= environment.NODE_ENV !== 'test';
  // Unset, the writer's window follows the lag bound it must outlast.
  if (present.DATABASE_READ_YOUR_WRITES_MS === undefined) {
    environment.DATABASE_READ_YOUR_WRITES_MS = Math.max(10_000, Number(environment.DATABASE_REPLICA_MAX_LAG_MS) + Number(environment.DATABASE_REPLICA_CHECK_MS));
  }
  const errors = validateSync(environment, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const problems = errors.map((error) => {
      const missing = error.value === undefined;
      // class-validator's messages already start with the property name.
      return missing ? `${error.property} is required` : Object.values(error.constraints ?? {})[0];
    });
    throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')} (see .env.example)`);
  }
  if (environment.NODE_ENV === 'production' && PUBLISHED_JWT_SECRETS.has(environment.JWT_SECRET)) {
    throw new ConfigurationError('Invalid configuration: JWT_SECRET is a published default and anyone could sign tokens with it; set a secret of your own in production (e.g. `openssl rand -base64 48`)');
  }
  if (environment.DATABASE_REPLICA_URLS.length > 0 && environment.DATABASE_READ_YOUR_WRITES_MS < environment.DATABASE_REPLICA_MAX_LAG_MS + environment.DATABASE_REPLICA_CHECK_MS) {
    // Shorter, a writer could be sent to a replica still within the lag bound but without their write.
    throw new ConfigurationError(
      'Invalid configuration: DATABASE_READ_YOUR_WRITES_MS must be at least DATABASE_REPLICA_MAX_LAG_MS + DATABASE_REPLICA_CHECK_MS (see .env.example)',
    );
  }
  if (environment.REDIS_SENTINELS && environment.REDIS_CLUSTER_NODES) {
    throw new ConfigurationError('Invalid configuration: set REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both (see .env.example)');
  }
  return environment;
}
