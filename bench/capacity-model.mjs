// The capacity model of docs/scaling.md, computed from docs/capacity/measurements.json (written by
// `npm run bench:capacity`): `node bench/capacity.mjs --model` prints it. Every figure it prints
// is one of the ASSUMPTIONS below, a field of the measurements, or a formula over both (the
// formulas are the code below, and docs/scaling.md states each one).

/** The stated load and everything else the measurements cannot tell. */
export const ASSUMPTIONS = {
  registeredUsers: 10_000_000,
  concurrentReaders: 50_000,
  /** A reader sends one request per think time: reads/s = readers / thinkTimeSeconds. */
  thinkTimeSeconds: 10,
  writesPerSecond: 500,
  /** What readers ask for (shares of the reads; the article page measured anonymous stands for both kinds of reader). */
  readMix: { article: 0.4, list: 0.2, 'list (signed in)': 0.1, 'feed (signed in)': 0.15, profile: 0.1, tags: 0.05 },
  /** What the writes are (shares of writesPerSecond). */
  writeMix: { 'write: favorite': 0.6, 'write: comment': 0.3, 'write: article': 0.1 },
  /**
   * Hit ratios of the entries no shared write retires: an article page and a profile are retired
   * only by a write to that article or user, so what misses is the long tail read too rarely to
   * stay cached (CACHE_TTL_SECONDS, the Redis budget). Lists, tags and feeds are computed instead.
   */
  longTailHitRatio: { article: 0.9, profile: 0.9 },
  /** Content at the target, per registered user (the data set has 10 articles per user: far more than a real site's). */
  articlesPerUser: 1,
  /** Followers of an author, each mailed a new article (the data set: every user follows 20). */
  followersPerAuthor: 20,
  /** Image uploads per second, on top of the writes (each a 12-megapixel photo, as measured). */
  uploadsPerSecond: 5,
  /** SMTP's answer time in production (the measurement used a local sink): one worker sends at most smtpPool / latency mails/s. */
  smtpLatencyMs: 100,
  smtpPool: 5,
  /** Processes and database cores are planned this busy, leaving room for peaks, GC and failover. */
  plannedUtilisation: 0.6,
  /** A Node process runs its JavaScript on one core. */
  coresPerProcess: 1,
  /** The largest PostgreSQL primary this plan accepts before splitting the data (cores). */
  largestPrimaryCores: 64,
  /** A Redis node executes commands on one core. */
  redisCoresPerNode: 1,
  /** Seconds of outbox events Redis must hold if the workers fall behind. */
  queueBacklogSeconds: 300,
};

const READS = Object.keys(ASSUMPTIONS.readMix);
const WRITES = Object.keys(ASSUMPTIONS.writeMix);
const RESOURCES = ['cpuMs', 'pgCpuMs', 'redisCpuMs', 'statements', 'redisCommands'];
const clamp01 = (value) => Math.min(1, Math.max(0, value));

/**
 * Hit ratio of a cached entry read `requestsPerSecond` times a second and retired `bumpsPerSecond`
 * times a second, whose rebuild takes `rebuildSeconds`: after each bump one request misses and so
 * does every request arriving while it rebuilds, and an entry rebuilt from data a later bump has
 * already retired is stale when stored. Misses per bump are 1 + requests x rebuild, so
 *   hit ratio = 1 - bumps x (1 / requests + rebuild)   (at least 0).
 */
export function hitRatio(requestsPerSecond, bumpsPerSecond, rebuildSeconds) {
  if (requestsPerSecond <= 0) return 0;
  return clamp01(1 - bumpsPerSecond * (1 / requestsPerSecond + rebuildSeconds));
}

export function computeModel(m, scale = 1, a = ASSUMPTIONS) {
  const scenario = (name) => {
    const found = m.api.scenarios[name];
    if (!found) throw new Error(`measurements.json has no scenario "${name}": run npm run bench:capacity with it`);
    return found;
  };
  const users = a.registeredUsers * scale;
  const reads = (a.concurrentReaders * scale) / a.thinkTimeSeconds;
  const writes = a.writesPerSecond * scale;
  const readRate = Object.fromEntries(READS.map((name) => [name, reads * a.readMix[name]]));
  const writeRate = Object.fromEntries(WRITES.map((name) => [name, writes * a.writeMix[name]]));

  // Which writes retire which shared entries (CacheTags): favorites and new articles bump
  // `articles` (every list and feed), new articles bump `tags`.
  const bumps = {
    articles: writeRate['write: favorite'] + writeRate['write: article'],
    tags: writeRate['write: article'],
  };
  const rebuild = (name) => scenario(name).uncached.unloadedLatencyMs.mean / 1000;
  /** One viewer's own entries (the feed, the flags on a list) are read once per think time at most. */
  const perViewer = 1 / a.thinkTimeSeconds;
  const hits = {
    // The anonymous front page taken as one entry: an upper bound for every list.
    list: hitRatio(readRate.list + readRate['list (signed in)'], bumps.articles, rebuild('list')),
    tags: hitRatio(readRate.tags, bumps.tags, rebuild('tags')),
    article: a.longTailHitRatio.article,
    profile: a.longTailHitRatio.profile,
    'feed (signed in)': hitRatio(perViewer, bumps.articles, rebuild('feed (signed in)')),
  };
  hits['list (signed in)'] = hits.list * hitRatio(perViewer, bumps.articles, rebuild('list (signed in)'));

  // The anonymous list counts every published article (articlesCount): that part of a miss grows
  // with the table; the rest of the work is index lookups of a page, which do not.
  const articles = users * a.articlesPerUser;
  const benchArticles = m.storage.tables.articles.rows;
  const countMs = m.queries.anonymousList.articlesCount.executionMs;
  const countGrowthMs = countMs * Math.max(0, articles / benchArticles - 1);

  /** Per request: hit + (1 - h) x miss, where a miss is the uncached work plus the lookup that found nothing. */
  const perRead = {};
  for (const name of READS) {
    const { cached, uncached } = scenario(name);
    const h = hits[name];
    perRead[name] = Object.fromEntries(RESOURCES.map((resource) => [resource, cached[resource] + (1 - h) * uncached[resource]]));
    if (name === 'list' || name === 'list (signed in)') perRead[name].pgCpuMs += (1 - h) * countGrowthMs;
  }
  const perWrite = Object.fromEntries(WRITES.map((name) => [name, Object.fromEntries(RESOURCES.map((resource) => [resource, scenario(name).cached[resource]]))]));
  const total = (resource) =>
    READS.reduce((sum, name) => sum + readRate[name] * perRead[name][resource], 0) + WRITES.reduce((sum, name) => sum + writeRate[name] * perWrite[name][resource], 0);
  const readsOnly = (resource) => READS.reduce((sum, name) => sum + readRate[name] * perRead[name][resource], 0);

  // The api.
  const apiCores = total('cpuMs') / 1000;
  const apiProcesses = Math.ceil(apiCores / (a.plannedUtilisation * a.coresPerProcess));

  // The outbox and the worker: events per write as measured, by job.
  const events = {};
  for (const name of WRITES) {
    for (const [job, perWriteCount] of Object.entries(scenario(name).cached.writes.outboxEventsByJob)) events[job] = (events[job] ?? 0) + writeRate[name] * perWriteCount;
  }
  events['media:process-upload'] = (events['media:process-upload'] ?? 0) + a.uploadsPerSecond * scale;
  const outboxEvents = Object.values(events).reduce((sum, value) => sum + value, 0);
  const relay = m.worker.relay.reduce((best, each) => (each.events > best.events ? each : best));
  // What one event costs the worker. A new article's mail fans out to its author's followers: one
  // mail each, priced per mail as measured for an author with as many followers (fan-out and
  // batch jobs included); every other mail job sends one mail, priced as a welcome mail.
  const eventCost = (job) => {
    const [queue] = job.split(':');
    if (job === 'mail:new-article') return { jobs: a.followersPerAuthor, cost: m.worker.queues.mailFanOut, mails: a.followersPerAuthor };
    return { jobs: 1, cost: m.worker.queues[queue], mails: queue === 'mail' ? 1 : 0 };
  };
  const workerTotal = (resource) =>
    Object.entries(events).reduce((sum, [job, rate]) => {
      const { jobs, cost } = eventCost(job);
      return sum + rate * jobs * (cost?.[resource] ?? 0);
    }, 0) + outboxEvents * relay[resource];
  const workerCores = workerTotal('cpuMs') / 1000;
  const mails = Object.entries(events).reduce((sum, [job, rate]) => sum + rate * eventCost(job).mails, 0);
  const fanOutMails = (events['mail:new-article'] ?? 0) * a.followersPerAuthor;
  const mailsPerWorker = a.smtpPool / (a.smtpLatencyMs / 1000);
  const workerProcesses = Math.max(Math.ceil(workerCores / (a.plannedUtilisation * a.coresPerProcess)), Math.ceil(mails / mailsPerWorker));
  const relayShare = outboxEvents / relay.eventsPerSecond;

  // PostgreSQL.
  const pgCores = (total('pgCpuMs') + workerTotal('pgCpuMs')) / 1000;
  const pgReadCores = readsOnly('pgCpuMs') / 1000;
  const poolMax = m.settings.databasePoolMax;
  const connections = (apiProcesses + workerProcesses) * poolMax;
  const statements = total('statements') + workerTotal('statements');

  // Storage: rows at the target times the bytes per row measured (heap, TOAST and indexes).
  const tables = m.storage.tables;
  const perArticle = (table) => tables[table].rows / tables.articles.rows;
  const targetRows = {
    users,
    articles,
    article_tags: articles * perArticle('article_tags'),
    favorites: articles * perArticle('favorites'),
    comments: articles * perArticle('comments'),
    follows: users * (tables.follows.rows / tables.users.rows),
    tags: tables.tags.rows,
  };
  const bytes = (table, rows) => rows * tables[table].totalBytesPerRow;
  const indexBytes = (table, rows) => rows * (tables[table].indexBytes / tables[table].rows);
  const storage = Object.fromEntries(Object.entries(targetRows).map(([table, rows]) => [table, { rows, bytes: bytes(table, rows), indexBytes: indexBytes(table, rows) }]));
  // Completed outbox events are kept 7 days (ScheduledProcessor's outbox-purge); delivery records forever.
  const outboxRow = m.worker.storage.outbox_events.totalBytesPerRow;
  const deliveryRow = m.worker.storage.mail_deliveries.totalBytesPerRow;
  storage.outbox_events = { rows: outboxEvents * 7 * 86_400, bytes: outboxEvents * 7 * 86_400 * outboxRow, indexBytes: null };
  const day = 86_400;
  const growthPerDay =
    writeRate['write: favorite'] * day * tables.favorites.totalBytesPerRow +
    writeRate['write: comment'] * day * tables.comments.totalBytesPerRow +
    writeRate['write: article'] * day * (tables.articles.totalBytesPerRow + perArticle('article_tags') * tables.article_tags.totalBytesPerRow) +
    mails * day * deliveryRow;
  const databaseBytes = Object.values(storage).reduce((sum, table) => sum + table.bytes, 0);
  const databaseIndexBytes = Object.values(storage).reduce((sum, table) => sum + (table.indexBytes ?? 0), 0);

  // Redis.
  const redisOps = total('redisCommands') + workerTotal('redisCommands');
  const redisCores = (total('redisCpuMs') + workerTotal('redisCpuMs')) / 1000;
  const kinds = m.api.redisMemory.byKind;
  const tokenKeyBytes = kinds['token-version']?.bytesPerKey ?? kinds['tag:favorites-of']?.bytesPerKey ?? 200;
  const signedInShare = a.readMix['list (signed in)'] + a.readMix['feed (signed in)'];
  const completedJob = m.worker.queues.search.redisBytesPerCompletedJob;
  const queuedJob = relay.redisBytesPerQueuedJob;
  const redisMemory = {
    cacheBudget: m.settings.cacheRedisMaxBytes,
    // Token versions are cached 60 s per signed-in user (TOKEN_VERSION_CACHE_SECONDS).
    tokenVersions: a.concurrentReaders * scale * signedInShare * tokenKeyBytes,
    // BullMQ keeps 10,000 completed jobs per queue (removeOnComplete) and the backlog while workers lag.
    completedJobs: 4 * 10_000 * completedJob,
    backlog: outboxEvents * a.queueBacklogSeconds * queuedJob,
  };
  const redisBytes = Object.values(redisMemory).reduce((sum, value) => sum + value, 0);

  return {
    scale,
    load: { users, reads, writes, readRate, writeRate, bumps, articles },
    hits,
    perRead,
    countGrowthMs,
    api: { cores: apiCores, processes: apiProcesses },
    worker: { events, outboxEvents, fanOutMails, mails, mailsPerWorker, cores: workerCores, processes: workerProcesses, relayShare, relayEventsPerSecond: relay.eventsPerSecond },
    postgres: { cores: pgCores, readCores: pgReadCores, writeCores: pgCores - pgReadCores, connections, statements, storage, databaseBytes, databaseIndexBytes, growthPerDay, maxConnections: Number(m.machine.postgresSettings.max_connections) },
    redis: { ops: redisOps, cores: redisCores, memory: redisMemory, bytes: redisBytes },
    bottlenecks: [
      { what: `PostgreSQL primary (${a.largestPrimaryCores} cores at ${a.plannedUtilisation * 100} %)`, demand: pgCores, capacity: a.largestPrimaryCores * a.plannedUtilisation },
      { what: 'PostgreSQL primary, reads moved to replicas', demand: pgCores - pgReadCores, capacity: a.largestPrimaryCores * a.plannedUtilisation },
      { what: 'one Redis node (commands on one core)', demand: redisCores, capacity: a.redisCoresPerNode * a.plannedUtilisation },
      { what: 'one outbox relay (events/s)', demand: outboxEvents, capacity: relay.eventsPerSecond * a.plannedUtilisation },
      { what: `PostgreSQL connections (max_connections ${m.machine.postgresSettings.max_connections})`, demand: connections, capacity: Number(m.machine.postgresSettings.max_connections) },
    ].map((each) => ({ ...each, load: each.demand / each.capacity })),
  };
}

const fmt = (value, digits = 0) => (value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const gb = (value) => `${fmt(value / 1024 ** 3, 1)} GiB`;
const mb = (value) => `${fmt(value / 1024 ** 2, 0)} MiB`;
const pct = (value) => `${fmt(value * 100, 0)} %`;

export function printModel(m, a = ASSUMPTIONS) {
  console.log(`capacity model from docs/capacity/measurements.json (measured ${m.measuredAt} on ${m.machine.cores} cores, ${m.machine.cpuModel}; npm run bench:capacity)`);
  console.log(`assumptions: ${JSON.stringify(a)}`);
  for (const scale of [1, 10]) {
    const model = computeModel(m, scale, a);
    const { load, api, worker, postgres, redis } = model;
    console.log(`\n=== ${scale === 1 ? 'the stated load' : `${scale}x the stated load`}: ${fmt(load.users)} users, ${fmt(a.concurrentReaders * scale)} readers -> ${fmt(load.reads)} reads/s, ${fmt(load.writes)} writes/s, ${fmt(load.articles)} articles ===`);
    console.log(`cache: retiring bumps/s: articles ${fmt(load.bumps.articles)}, tags ${fmt(load.bumps.tags)}; hit ratios: ${Object.entries(model.hits).map(([name, h]) => `${name} ${pct(h)}`).join(', ')}`);
    console.table(
      Object.fromEntries(
        [...Object.keys(load.readRate), ...Object.keys(load.writeRate)].map((name) => {
          const cost = model.perRead[name] ?? Object.fromEntries(RESOURCES.map((resource) => [resource, m.api.scenarios[name].cached[resource]]));
          const rate = load.readRate[name] ?? load.writeRate[name];
          return [
            name,
            {
              'req/s': fmt(rate),
              'hit ratio': model.hits[name] === undefined ? 'write' : pct(model.hits[name]),
              'api CPU ms/req': fmt(cost.cpuMs, 2),
              'PG CPU ms/req': fmt(cost.pgCpuMs, 2),
              'statements/req': fmt(cost.statements, 1),
              'Redis cmds/req': fmt(cost.redisCommands, 1),
              'api cores': fmt((rate * cost.cpuMs) / 1000, 1),
              'PG cores': fmt((rate * cost.pgCpuMs) / 1000, 1),
            },
          ];
        }),
      ),
    );
    console.log(`articlesCount of a list miss at ${fmt(load.articles)} articles: +${fmt(model.countGrowthMs, 0)} ms of PostgreSQL per miss (${fmt(m.queries.anonymousList.articlesCount.executionMs, 1)} ms at ${fmt(m.storage.tables.articles.rows)}, linear)`);
    const feedCounts = m.queries.feed.map((entry) => `${fmt(entry.following)} followed: ${fmt(entry.statements.articlesCount.executionMs, 1)} ms`).join(', ');
    console.log(`feed articlesCount by authors followed (measured, grows with followed authors x their articles, not with the table): ${feedCounts}`);
    const coalesced = hitRatio(load.readRate.list + load.readRate['list (signed in)'], 1, model.perRead.list.pgCpuMs / 1000 + m.api.scenarios.list.uncached.unloadedLatencyMs.mean / 1000);
    console.log(`list hit ratio if the articles tag were bumped at most once a second (rebuild as slow as a miss here): ${pct(coalesced)}`);
    console.log(`api: ${fmt(api.cores, 1)} cores -> ${api.processes} processes at ${pct(a.plannedUtilisation)} of a core`);
    console.log(
      `worker: outbox ${fmt(worker.outboxEvents)} events/s (${Object.entries(worker.events).map(([job, rate]) => `${job} ${fmt(rate)}`).join(', ')}), fan-out ${fmt(worker.fanOutMails)} mails/s, ${fmt(worker.mails)} mails/s in all; ` +
        `${fmt(worker.cores, 1)} cores; ${worker.processes} processes (CPU, and ${fmt(worker.mailsPerWorker)} mails/s per process at ${a.smtpLatencyMs} ms SMTP); one relay at ${pct(worker.relayShare)} of its ${fmt(worker.relayEventsPerSecond)} events/s`,
    );
    console.log(
      `PostgreSQL: ${fmt(postgres.cores, 1)} cores busy (${fmt(postgres.readCores, 1)} for reads, ${fmt(postgres.writeCores, 1)} for writes and jobs) -> ${fmt(postgres.cores / a.plannedUtilisation, 0)} cores planned; ${fmt(postgres.statements)} statements/s; ` +
        `${fmt(postgres.connections)} connections at DATABASE_POOL_MAX ${m.settings.databasePoolMax} (max_connections ${postgres.maxConnections})`,
    );
    console.log(
      `storage: ${gb(postgres.databaseBytes)} (indexes ${gb(postgres.databaseIndexBytes)}), growing ${gb(postgres.growthPerDay)} a day: ` +
        Object.entries(postgres.storage).map(([table, { rows, bytes }]) => `${table} ${fmt(rows)} rows ${gb(bytes)}`).join(', '),
    );
    console.log(
      `Redis: ${fmt(redis.ops)} commands/s, ${fmt(redis.cores, 2)} cores; memory ${mb(redis.bytes)} (${Object.entries(redis.memory).map(([name, value]) => `${name} ${mb(value)}`).join(', ')})`,
    );
    console.log('first bottlenecks (demand / planned capacity):');
    console.table(model.bottlenecks.sort((x, y) => y.load - x.load).map((each) => ({ limit: each.what, demand: fmt(each.demand, 1), capacity: fmt(each.capacity, 1), load: pct(each.load) })));
  }
}
