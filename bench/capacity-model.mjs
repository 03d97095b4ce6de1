// The capacity model of docs/scaling.md, computed from docs/capacity/measurements.json (written by
// `npm run bench:capacity`): `node bench/capacity.mjs --model` prints it. Every figure it prints
// is one of the ASSUMPTIONS below, a field of the measurements, or a formula over both (the
// formulas are the code below; docs/scaling.md states each one).

/** The stated load, and everything else the measurements cannot tell. */
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
  /** The largest PostgreSQL primary this plan accepts before the data must be split (cores). */
  largestPrimaryCores: 64,
  /** A Redis node executes commands on one core. */
  redisCoresPerNode: 1,
  /** Seconds of outbox events Redis must hold when the workers fall behind. */
  queueBacklogSeconds: 300,
  /** Completed outbox events are kept this long (ScheduledProcessor's outbox-purge). */
  outboxRetentionDays: 7,
};

/**
 * The application as built, and two changes it does not have, priced from the same measurements:
 * `countKept` reads articlesCount of the unfiltered list from a maintained counter (a statement
 * that costs the same at any size) instead of counting; `bumpsPerSecond` retires the shared
 * `articles` and `tags` entries at most that often (writes inside one second share a bump, so a
 * list may be up to a second stale).
 */
export const VARIANTS = {
  'as built': {},
  'count kept': { countKept: true },
  'count kept, bumps <= 1/s': { countKept: true, bumpsPerSecond: 1 },
};

const READS = Object.keys(ASSUMPTIONS.readMix);
const WRITES = Object.keys(ASSUMPTIONS.writeMix);
const RESOURCES = ['cpuMs', 'pgCpuMs', 'redisCpuMs', 'statements', 'redisCommands'];
const clamp01 = (value) => Math.min(1, Math.max(0, value));
const per = (f) => Object.fromEntries(RESOURCES.map((resource) => [resource, f(resource)]));

/**
 * Hit ratio of a cached entry read `requestsPerSecond` times a second and retired `bumpsPerSecond`
 * times a second, whose rebuild takes `rebuildSeconds`: after each bump one request misses and so
 * does every request arriving while it rebuilds (an entry rebuilt from data a later bump already
 * retired is stale when stored). Misses per bump are 1 + requests x rebuild, so
 *   hit ratio = 1 - bumps x (1 / requests + rebuild)   (at least 0).
 */
export function hitRatio(requestsPerSecond, bumpsPerSecond, rebuildSeconds) {
  if (requestsPerSecond <= 0) return 0;
  return clamp01(1 - bumpsPerSecond * (1 / requestsPerSecond + rebuildSeconds));
}

export function computeModel(m, { scale = 1, variant = {}, assumptions: a = ASSUMPTIONS } = {}) {
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
  const articles = users * a.articlesPerUser;

  // Which writes retire which shared entries (CacheTags): favorites and new articles bump
  // `articles` (every list and feed), new articles bump `tags`.
  const cap = (bumps) => (variant.bumpsPerSecond === undefined ? bumps : Math.min(bumps, variant.bumpsPerSecond));
  const bumps = { articles: cap(writeRate['write: favorite'] + writeRate['write: article']), tags: cap(writeRate['write: article']) };

  // articlesCount of the unfiltered list counts every published article: that part of a miss
  // grows with the table (an index-only scan, linear). Its PostgreSQL time is the list miss's less
  // its other statements, priced as a simple indexed statement (the profile's one lookup); a kept
  // count replaces it with one such statement.
  const benchArticles = m.storage.tables.articles.rows;
  const profileMiss = scenario('profile').uncached;
  const pgPerStatement = profileMiss.pgCpuMs / profileMiss.statements;
  const listMiss = scenario('list').uncached;
  const countPgMs = Math.max(0, listMiss.pgCpuMs - (listMiss.statements - 1) * pgPerStatement);
  const countChangeMs = variant.countKept ? pgPerStatement - countPgMs : countPgMs * Math.max(0, articles / benchArticles - 1);

  /** What a miss costs: the uncached work measured, at the target's size, plus the lookup that found nothing. */
  const miss = (name) => {
    const { cached, uncached } = scenario(name);
    const cost = per((resource) => uncached[resource] + cached[resource]);
    if (name.startsWith('list')) cost.pgCpuMs = Math.max(0, cost.pgCpuMs + countChangeMs);
    return cost;
  };
  const hit = (name) => per((resource) => scenario(name).cached[resource]);
  /** How long a miss takes to rebuild the entry: the latency measured alone, the count's change included, never less than the api's own CPU time. */
  const rebuild = (name) => {
    const { uncached } = scenario(name);
    const measured = uncached.unloadedLatencyMs.mean + (name.startsWith('list') ? countChangeMs : 0);
    return Math.max(measured, uncached.cpuMs) / 1000;
  };
  /** One viewer's own entries (the feed, the flags on a list) are read once per think time at most. */
  const perViewer = 1 / a.thinkTimeSeconds;
  const hits = {
    // The unfiltered first page taken as one entry read by every list request: the best case for lists.
    list: hitRatio(readRate.list + readRate['list (signed in)'], bumps.articles, rebuild('list')),
    tags: hitRatio(readRate.tags, bumps.tags, rebuild('tags')),
    article: a.longTailHitRatio.article,
    profile: a.longTailHitRatio.profile,
    'feed (signed in)': hitRatio(perViewer, bumps.articles, rebuild('feed (signed in)')),
  };
  const flagsHit = hitRatio(perViewer, bumps.articles, rebuild('list (signed in)'));
  hits['list (signed in)'] = hits.list * flagsHit;

  /** Per request: h x hit + (1 - h) x miss (a miss pays the lookup too, see `miss`). */
  const perRead = {};
  for (const name of READS) perRead[name] = per((resource) => hits[name] * hit(name)[resource] + (1 - hits[name]) * miss(name)[resource]);
  // A signed-in list whose shared entry hits while the viewer's flags miss pays the overlay: the
  // signed-in miss less the anonymous one.
  const overlay = per((resource) => Math.max(0, miss('list (signed in)')[resource] - miss('list')[resource]));
  perRead['list (signed in)'] = per(
    (resource) =>
      hits.list * flagsHit * hit('list (signed in)')[resource] +
      hits.list * (1 - flagsHit) * (hit('list (signed in)')[resource] + overlay[resource]) +
      (1 - hits.list) * miss('list (signed in)')[resource],
  );
  const perWrite = Object.fromEntries(WRITES.map((name) => [name, hit(name)]));
  const apiTotal = (resource) =>
    READS.reduce((sum, name) => sum + readRate[name] * perRead[name][resource], 0) + WRITES.reduce((sum, name) => sum + writeRate[name] * perWrite[name][resource], 0);
  const readsOnly = (resource) => READS.reduce((sum, name) => sum + readRate[name] * perRead[name][resource], 0);

  // The api.
  const apiCores = apiTotal('cpuMs') / 1000;
  const apiProcesses = Math.ceil(apiCores / (a.plannedUtilisation * a.coresPerProcess));

  // The outbox and the worker: outbox events per write as measured, by job.
  const events = {};
  for (const name of WRITES) {
    for (const [job, perWriteCount] of Object.entries(scenario(name).cached.writes.outboxEventsByJob)) events[job] = (events[job] ?? 0) + writeRate[name] * perWriteCount;
  }
  events['media:process-upload'] = (events['media:process-upload'] ?? 0) + a.uploadsPerSecond * scale;
  const outboxEvents = Object.values(events).reduce((sum, value) => sum + value, 0);
  const relay = m.worker.relay.reduce((best, each) => (each.events > best.events ? each : best));
  // What one event costs the worker. A new article's mail fans out to the author's followers: one
  // mail each, priced per mail as measured for an author with as many followers (its fan-out and
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
  const mailsPerWorker = a.smtpPool / (a.smtpLatencyMs / 1000);
  const workerProcesses = Math.max(Math.ceil(workerCores / (a.plannedUtilisation * a.coresPerProcess)), Math.ceil(mails / mailsPerWorker));

  // PostgreSQL.
  const pgCores = (apiTotal('pgCpuMs') + workerTotal('pgCpuMs')) / 1000;
  const pgReadCores = readsOnly('pgCpuMs') / 1000;
  const poolMax = m.settings.databasePoolMax;
  const connections = (apiProcesses + workerProcesses) * poolMax;
  const statements = apiTotal('statements') + workerTotal('statements');

  // Storage: rows at the target times the bytes per row measured (heap, TOAST and indexes).
  const tables = m.storage.tables;
  const ratio = (table, of) => tables[table].rows / tables[of].rows;
  const targetRows = {
    users,
    articles,
    article_tags: articles * ratio('article_tags', 'articles'),
    favorites: articles * ratio('favorites', 'articles'),
    comments: articles * ratio('comments', 'articles'),
    follows: users * ratio('follows', 'users'),
    tags: tables.tags.rows,
  };
  const storage = Object.fromEntries(
    Object.entries(targetRows).map(([table, rows]) => [table, { rows, bytes: rows * tables[table].totalBytesPerRow, indexBytes: (rows * tables[table].indexBytes) / tables[table].rows }]),
  );
  const day = 86_400;
  const outboxRows = outboxEvents * a.outboxRetentionDays * day;
  storage.outbox_events = { rows: outboxRows, bytes: outboxRows * m.worker.storage.outbox_events.totalBytesPerRow, indexBytes: null };
  // Growth a day: the rows the writes add, and mail_deliveries (one row per mail sent, never deleted).
  const growth = {
    favorites: writeRate['write: favorite'] * day * tables.favorites.totalBytesPerRow,
    comments: writeRate['write: comment'] * day * tables.comments.totalBytesPerRow,
    articles: writeRate['write: article'] * day * (tables.articles.totalBytesPerRow + ratio('article_tags', 'articles') * tables.article_tags.totalBytesPerRow),
    mail_deliveries: mails * day * m.worker.storage.mail_deliveries.totalBytesPerRow,
  };
  const sumValues = (object, pick = (value) => value) => Object.values(object).reduce((total, value) => total + (pick(value) ?? 0), 0);

  // Redis.
  const redisOps = { api: apiTotal('redisCommands'), worker: workerTotal('redisCommands') };
  const redisCores = (apiTotal('redisCpuMs') + workerTotal('redisCpuMs')) / 1000;
  const kinds = m.api.redisMemory.byKind;
  const signedInShare = a.readMix['list (signed in)'] + a.readMix['feed (signed in)'];
  const redisMemory = {
    cacheBudget: m.settings.cacheRedisMaxBytes,
    // Token versions are cached 60 s per signed-in user (TOKEN_VERSION_CACHE_SECONDS).
    tokenVersions: a.concurrentReaders * scale * signedInShare * (kinds['token-version']?.bytesPerKey ?? 0),
    // BullMQ keeps 10,000 completed jobs per queue (removeOnComplete), and the backlog while workers lag.
    completedJobs: 4 * 10_000 * m.worker.queues.search.redisBytesPerCompletedJob,
    backlog: outboxEvents * a.queueBacklogSeconds * relay.redisBytesPerQueuedJob,
  };

  const planned = (cores) => cores / a.plannedUtilisation;
  const limits = [
    { limit: `one PostgreSQL primary, every query (${a.largestPrimaryCores} cores at ${pct(a.plannedUtilisation)})`, demand: pgCores, capacity: a.largestPrimaryCores * a.plannedUtilisation },
    { limit: 'one PostgreSQL primary, reads on replicas', demand: pgCores - pgReadCores, capacity: a.largestPrimaryCores * a.plannedUtilisation },
    { limit: 'one Redis node (commands run on one core)', demand: redisCores, capacity: a.redisCoresPerNode * a.plannedUtilisation },
    { limit: 'one outbox relay (events/s)', demand: outboxEvents, capacity: relay.eventsPerSecond * a.plannedUtilisation },
    { limit: `PostgreSQL connections (max_connections ${m.machine.postgresSettings.max_connections})`, demand: connections, capacity: Number(m.machine.postgresSettings.max_connections) },
  ].map((each) => ({ ...each, load: each.demand / each.capacity }));

  return {
    scale,
    load: { users, reads, writes, readRate, writeRate, bumps, articles },
    hits: { ...hits, 'flags of a signed-in list': flagsHit },
    perRead,
    perWrite,
    countChangeMs,
    countPgMs,
    pgPerStatement,
    api: { cores: apiCores, processes: apiProcesses },
    worker: { events, outboxEvents, mails, mailsPerWorker, cores: workerCores, processes: workerProcesses, relayLoad: outboxEvents / relay.eventsPerSecond, relayEventsPerSecond: relay.eventsPerSecond },
    postgres: {
      cores: pgCores,
      plannedCores: planned(pgCores),
      readCores: pgReadCores,
      writeCores: pgCores - pgReadCores,
      connections,
      statements,
      storage,
      bytes: sumValues(storage, (table) => table.bytes),
      indexBytes: sumValues(storage, (table) => table.indexBytes),
      growth,
      growthPerDay: sumValues(growth),
    },
    redis: { ops: redisOps.api + redisOps.worker, opsBySource: redisOps, cores: redisCores, memory: redisMemory, bytes: sumValues(redisMemory) },
    limits: limits.sort((x, y) => y.load - x.load),
  };
}

function fmt(value, digits = 0) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
const gib = (value) => `${fmt(value / 1024 ** 3, 1)} GiB`;
const mib = (value) => `${fmt(value / 1024 ** 2, 0)} MiB`;
function pct(value) {
  return `${fmt(value * 100, 0)} %`;
}

export function printModel(m, a = ASSUMPTIONS) {
  console.log(`Capacity model from docs/capacity/measurements.json, measured ${m.measuredAt} (npm run bench:capacity) on ${m.machine.cores} cores (${m.machine.cpuModel}).`);
  console.log(`Assumptions (bench/capacity-model.mjs): ${JSON.stringify(a)}`);
  for (const scale of [1, 10]) {
    const models = Object.fromEntries(Object.entries(VARIANTS).map(([name, variant]) => [name, computeModel(m, { scale, variant, assumptions: a })]));
    const base = models['as built'];
    const { load } = base;
    console.log(
      `\n=== ${scale === 1 ? 'The stated load' : `${scale}x the stated load`}: ${fmt(load.users)} users, ${fmt(load.articles)} articles, ${fmt(a.concurrentReaders * scale)} readers -> ${fmt(load.reads)} reads/s, ${fmt(load.writes)} writes/s ===`,
    );
    const row = (label, f) => [label, Object.fromEntries(Object.entries(models).map(([name, model]) => [name, f(model)]))];
    console.table(
      Object.fromEntries([
        row('bumps/s of articles, tags', (x) => `${fmt(x.load.bumps.articles)}, ${fmt(x.load.bumps.tags)}`),
        row('hit ratio: list, tags, feed', (x) => `${pct(x.hits.list)}, ${pct(x.hits.tags)}, ${pct(x.hits['feed (signed in)'])}`),
        row('articlesCount change per list miss', (x) => `${x.countChangeMs >= 0 ? '+' : ''}${fmt(x.countChangeMs, 1)} ms`),
        row('api cores -> processes', (x) => `${fmt(x.api.cores, 1)} -> ${x.api.processes}`),
        row('outbox events/s (one relay: load)', (x) => `${fmt(x.worker.outboxEvents)} (${pct(x.worker.relayLoad)})`),
        row('mails/s', (x) => fmt(x.worker.mails)),
        row('worker cores -> processes', (x) => `${fmt(x.worker.cores, 1)} -> ${x.worker.processes}`),
        row('PostgreSQL cores busy (reads + rest)', (x) => `${fmt(x.postgres.cores, 1)} (${fmt(x.postgres.readCores, 1)} + ${fmt(x.postgres.writeCores, 1)})`),
        row('PostgreSQL cores planned', (x) => fmt(x.postgres.plannedCores, 0)),
        row('PostgreSQL statements/s', (x) => fmt(x.postgres.statements)),
        row('PostgreSQL connections (pool 10 each)', (x) => fmt(x.postgres.connections)),
        row('Redis commands/s (api + worker)', (x) => `${fmt(x.redis.ops)} (${fmt(x.redis.opsBySource.api)} + ${fmt(x.redis.opsBySource.worker)})`),
        row('Redis cores', (x) => fmt(x.redis.cores, 2)),
        row('Redis memory', (x) => mib(x.redis.bytes)),
        row('first limit (load)', (x) => `${x.limits[0].limit} (${pct(x.limits[0].load)})`),
      ]),
    );
    for (const name of scale === 1 ? Object.keys(VARIANTS) : []) {
      const model = models[name];
      console.log(`per request, ${name} (cost = h x hit + (1 - h) x miss):`);
      console.table(
        Object.fromEntries(
          [...READS, ...WRITES].map((scenarioName) => {
            const cost = model.perRead[scenarioName] ?? model.perWrite[scenarioName];
            const rate = model.load.readRate[scenarioName] ?? model.load.writeRate[scenarioName];
            return [
              scenarioName,
              {
                'req/s': fmt(rate),
                'hit ratio': model.hits[scenarioName] === undefined ? 'write' : pct(model.hits[scenarioName]),
                'api CPU ms': fmt(cost.cpuMs, 2),
                'PG CPU ms': fmt(cost.pgCpuMs, 2),
                statements: fmt(cost.statements, 1),
                'Redis cmds': fmt(cost.redisCommands, 1),
                'api cores': fmt((rate * cost.cpuMs) / 1000, 1),
                'PG cores': fmt((rate * cost.pgCpuMs) / 1000, 1),
              },
            ];
          }),
        ),
      );
    }
    console.log(`limits, ${Object.keys(VARIANTS).at(-1)} (demand / planned capacity):`);
    console.table(models[Object.keys(VARIANTS).at(-1)].limits.map((each) => ({ limit: each.limit, demand: fmt(each.demand, 1), capacity: fmt(each.capacity, 1), load: pct(each.load) })));
    const { postgres, redis, worker } = base;
    console.log(`outbox events/s by job: ${Object.entries(worker.events).map(([job, rate]) => `${job} ${fmt(rate)}`).join(', ')}; one worker sends at most ${fmt(worker.mailsPerWorker)} mails/s at ${a.smtpLatencyMs} ms SMTP`);
    console.log(
      `storage: ${gib(postgres.bytes)} (indexes ${gib(postgres.indexBytes)}): ${Object.entries(postgres.storage).map(([table, { rows, bytes }]) => `${table} ${fmt(rows)} rows ${gib(bytes)}`).join(', ')}`,
    );
    console.log(`growth a day: ${gib(postgres.growthPerDay)} (${Object.entries(postgres.growth).map(([table, bytes]) => `${table} ${gib(bytes)}`).join(', ')})`);
    console.log(`Redis memory: ${Object.entries(redis.memory).map(([name, bytes]) => `${name} ${mib(bytes)}`).join(', ')}`);
  }
  const feed = m.queries.feed.map((entry) => `${fmt(entry.following)} authors: page ${fmt(entry.statements.page.executionMs, 2)} ms, articlesCount ${fmt(entry.statements.articlesCount.executionMs, 1)} ms`).join('; ');
  console.log(`\nfeed of a user following (EXPLAIN ANALYZE, any scale: it grows with authors followed x their articles): ${feed}`);
  const one = computeModel(m, { assumptions: a });
  console.log(
    `anonymous list articlesCount at ${fmt(m.storage.tables.articles.rows)} articles: ${fmt(one.countPgMs, 1)} ms of PostgreSQL CPU per list miss ` +
      `(the miss's ${fmt(m.api.scenarios.list.uncached.pgCpuMs, 1)} ms less ${fmt(m.api.scenarios.list.uncached.statements - 1, 2)} other statements at ${fmt(one.pgPerStatement, 2)} ms); ` +
      `EXPLAIN ANALYZE: ${fmt(m.queries.anonymousList.articlesCount.executionMs, 1)} ms`,
  );
}
