import { createServer as createHttpServer, request as forward, ServerResponse } from 'node:http';
import { createServer, Socket } from 'node:net';
import request from 'supertest';
import { ApiProcess, freePort, startApi, startThrowawayRedis, stopAll, ThrowawayRedis } from '../helpers/child-processes';
import { unique } from '../helpers/factories';
import { namedSearchNode } from '../helpers/search';
import { sleep, waitFor } from '../helpers/worker';
import { dailyLogIndex, FLUSH_EVERY_MS } from '@/modules/search/request-log.sink';

/**
 * The request-log sink (LOG_ELASTICSEARCH=true) in built api processes. On a live search node
 * (npm run test:search-live, or ELASTICSEARCH_NODE): the entries of real requests land in the day's
 * index, which the sink creates (the live nodes refuse to create one on write), without query
 * strings, headers or bodies, in one bulk request per shipment; a second api process ships to the
 * index the first created; a node that hangs costs requests nothing, and entries flow again once
 * it answers. Without a node (the plain e2e run): a node that hangs and one that is dead, on
 * either engine's client, cost requests nothing, and are reported once.
 */

jest.setTimeout(120_000);

type SinkEngine = 'elasticsearch' | 'opensearch';

/** ELASTICSEARCH_TIMEOUT_MS of the api processes with no node that answers: short, for a short suite. */
const TIMEOUT_MS = 2_000;
/** ELASTICSEARCH_TIMEOUT_MS with a live node: the default, which a cold node creating its first index needs. */
const LIVE_TIMEOUT_MS = 5_000;
const WARNING = /Request logs not sent to (Elasticsearch|OpenSearch)/g;
const ENTRY_FIELDS = ['@timestamp', 'method', 'path', 'status', 'durationMs', 'requestId', 'userAgent', 'ip'];
const USER_AGENT = 'conduit-request-log-test';

/** The api's settings that send its request log to `url`, through `engine`'s client. */
function sinkSettings(engine: SinkEngine, url: string, prefix: string, timeoutMs: number): Record<string, string> {
  return {
    LOG_ELASTICSEARCH: 'true',
    LOG_ELASTICSEARCH_PREFIX: prefix,
    ELASTICSEARCH_TIMEOUT_MS: String(timeoutMs),
    RATE_LIMIT_ENABLED: 'false',
    ...(engine === 'opensearch' ? { SEARCH_ENGINE: 'opensearch', OPENSEARCH_NODE: url } : { SEARCH_ENGINE: 'elasticsearch', ELASTICSEARCH_NODE: url }),
  };
}

function warnings(api: ApiProcess): number {
  return api.output().match(WARNING)?.length ?? 0;
}

/** One request; resolves to its status and how long the api took to answer. */
async function timed(api: ApiProcess, path: string, requestId: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await request(api.url).get(path).set('X-Request-Id', requestId).set('User-Agent', USER_AGENT).timeout(10_000);
  return { status: response.status, ms: performance.now() - started };
}

/**
 * Requests one after another for `seconds`, and a burst of 20 at once in the middle: their
 * latencies (every one must have been answered).
 */
async function trafficFor(api: ApiProcess, seconds: number, label: string): Promise<number[]> {
  const latencies: number[] = [];
  const until = Date.now() + seconds * 1000;
  for (let index = 0; Date.now() < until; index += 1) {
    const answers = index === 5 ? await Promise.all(Array.from({ length: 20 }, (_, burst) => timed(api, '/api/tags', `${label}-burst-${burst}`))) : [await timed(api, '/api/tags', `${label}-${index}`)];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      latencies.push(answer.ms);
    }
    await sleep(50);
  }
  return latencies;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

interface ProxiedRequest {
  method: string;
  /** Without the query string. */
  path: string;
  status?: number;
  /** Bulk requests: how many documents they carried. */
  documents: number;
}

/**
 * An HTTP relay in this process to a search node, which records every request (and how many
 * documents each bulk carried) and can hang: it then takes requests and never answers them.
 */
interface NodeProxy {
  url: string;
  requests: ProxiedRequest[];
  /** Requests held unanswered while hanging. */
  held: number;
  hang(on: boolean): void;
  close(): Promise<void>;
}

async function startNodeProxy(target: string): Promise<NodeProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const heldResponses = new Set<ServerResponse>();
  let hanging = false;
  let held = 0;
  const server = createHttpServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (incoming.url ?? '/').split('?')[0];
      const record: ProxiedRequest = {
        method: incoming.method ?? 'GET',
        path,
        documents: path.endsWith('/_bulk') ? body.toString().split('\n').filter(Boolean).length / 2 : 0,
      };
      requests.push(record);
      if (hanging) {
        held += 1;
        heldResponses.add(outgoing);
        return;
      }
      const relayed = forward({ host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
        record.status = answer.statusCode;
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      });
      relayed.on('error', () => outgoing.destroy());
      relayed.end(body);
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get held() {
      return held;
    },
    hang: (on) => {
      hanging = on;
      if (on) return;
      for (const response of heldResponses) response.destroy();
      heldResponses.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of heldResponses) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A request straight to the live node (not through the proxy). */
async function onNode<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

interface LoggedEntry {
  _index: string;
  _source: Record<string, unknown>;
}

const live = namedSearchNode();

if (live) {
  describe(`Request-log sink on a live ${live.engine} node`, () => {
    const node = live;
    const prefix = unique('conduit-search-requests-').toLowerCase();
    const pattern = `${prefix}-*`;
    let redis: ThrowawayRedis;
    let proxy: NodeProxy;
    let api: ApiProcess;
    /** What each request sent so far got, by its id. */
    const sent = new Map<string, { method: string; path: string; status: number }>();

    /**
     * Entries in the log indices so far. 0 while the day's index, just created by the sink, has no
     * started shard yet: the node then answers the refresh and the count with 503, and waitFor asks again.
     */
    async function countLogged(): Promise<number> {
      const refreshed = await fetch(`${node.url}/${pattern}/_refresh`, { method: 'POST' });
      await refreshed.arrayBuffer();
      const counted = await fetch(`${node.url}/${pattern}/_count`);
      const answer = (await counted.json()) as { count?: number };
      if (refreshed.status === 503 || counted.status === 503) return 0;
      if (!counted.ok || answer.count === undefined) throw new Error(`GET /${pattern}/_count: ${counted.status} ${JSON.stringify(answer)}`);
      return answer.count;
    }

    async function logged(): Promise<LoggedEntry[]> {
      await onNode(node.url, 'POST', `/${pattern}/_refresh`);
      return (await onNode<{ hits: { hits: LoggedEntry[] } }>(node.url, 'POST', `/${pattern}/_search`, { size: 1_000 })).hits.hits;
    }

    /** What to show when an entry does not arrive. */
    const details = (target: ApiProcess) => () => `${target.output().slice(-3000)}\nrequests to the node: ${JSON.stringify(proxy.requests.slice(-20))}`;

    /** The answers to the requests that created `index`, in order. */
    function creations(index: string): Array<number | undefined> {
      return proxy.requests.filter((each) => each.method === 'PUT' && each.path === `/${index}`).map((each) => each.status);
    }

    function bulks(): ProxiedRequest[] {
      return proxy.requests.filter((each) => each.method === 'POST' && each.path === '/_bulk');
    }

    async function send(target: ApiProcess, method: 'get' | 'post', path: string, requestId: string, body?: object): Promise<void> {
      let call = request(target.url)[method](path).set('X-Request-Id', requestId).set('User-Agent', USER_AGENT).set('Authorization', 'Token secret-token-in-a-header');
      if (body) call = call.send(body);
      const response = await call;
      sent.set(requestId, { method: method.toUpperCase(), path: path.split('?')[0], status: response.status });
    }

    beforeAll(async () => {
      redis = await startThrowawayRedis();
      proxy = await startNodeProxy(node.url);
      api = await startApi({ REDIS_URL: redis.url, ...sinkSettings(node.engine, proxy.url, prefix, LIVE_TIMEOUT_MS) });
    });

    afterAll(async () => {
      await stopAll();
      await proxy?.close();
      await fetch(`${node.url}/${pattern}`, { method: 'DELETE' }).catch(() => undefined);
    });

    it("writes every request's entry to the day's index it creates, in one bulk request per shipment, without query strings, headers or bodies", async () => {
      const started = performance.now();
      const calls: Array<Promise<void>> = [];
      for (let index = 0; index < 20; index += 1) calls.push(send(api, 'get', `/api/tags?token=secret-in-a-query-${index}`, `${prefix}-tags-${index}`));
      for (let index = 0; index < 5; index += 1) calls.push(send(api, 'get', `/api/profiles/${unique('nobody')}?q=secret-in-a-query`, `${prefix}-missing-${index}`));
      for (let index = 0; index < 5; index += 1) {
        const username = unique('logged');
        const user = { username, email: `${username}@example.test`, password: 'secret-password-in-a-body' };
        calls.push(send(api, 'post', '/api/users', `${prefix}-signup-${index}`, { user }));
      }
      await Promise.all(calls);
      const burstMs = performance.now() - started;

      await waitFor('30 entries in the log index', async () => (await countLogged()) >= 30, { timeoutMs: 20_000, intervalMs: 250, details: details(api) });
      // Nothing more arrives later (no entry twice).
      await sleep(FLUSH_EVERY_MS * 1.5);
      const entries = await logged();
      expect(entries).toHaveLength(30);

      for (const { _index, _source } of entries) {
        expect(Object.keys(_source).every((field) => ENTRY_FIELDS.includes(field))).toBe(true);
        expect(_index).toBe(dailyLogIndex(prefix, new Date(_source['@timestamp'] as string)));
        const expected = sent.get(_source.requestId as string);
        expect({ method: _source.method, path: _source.path, status: _source.status }).toEqual(expected);
        expect(_source).toMatchObject({ userAgent: USER_AGENT, ip: expect.any(String), durationMs: expect.any(Number) });
        expect(JSON.stringify(_source)).not.toMatch(/secret|token|password/i);
      }
      expect(new Set(entries.map((entry) => entry._source.requestId))).toEqual(new Set(sent.keys()));
      expect(new Set(entries.map((entry) => entry._source.status))).toEqual(new Set([...sent.values()].map((each) => each.status)));

      // The sink's own mapping, not one guessed from the first entry.
      const index = entries[0]._index;
      const mappings = await onNode<Record<string, { mappings: { properties: Record<string, { type: string }> } }>>(node.url, 'GET', `/${index}/_mapping`);
      const types = Object.fromEntries(Object.entries(mappings[index].mappings.properties).map(([field, mapping]) => [field, mapping.type]));
      expect(types).toEqual({ '@timestamp': 'date', method: 'keyword', path: 'keyword', status: 'integer', durationMs: 'float', requestId: 'keyword', userAgent: 'keyword', ip: 'keyword' });

      // Created once (by the first shipment); shipped in bulk: at most one shipment a second while the requests came, all 30 entries in them.
      expect(creations(index)[0]).toBe(200);
      expect(creations(index).filter((status) => status === 200)).toHaveLength(1);
      expect(bulks().reduce((sum, bulk) => sum + bulk.documents, 0)).toBe(30);
      expect(bulks().length).toBeLessThanOrEqual(Math.ceil(burstMs / FLUSH_EVERY_MS) + 1);
      expect(Math.max(...bulks().map((bulk) => bulk.documents))).toBeGreaterThan(1);
      expect(warnings(api)).toBe(0);
    });

    it('lets a second api process ship to the index the first one created', async () => {
      const index = dailyLogIndex(prefix, new Date());
      const earlier = creations(index).length;
      const second = await startApi({ REDIS_URL: redis.url, ...sinkSettings(node.engine, proxy.url, prefix, LIVE_TIMEOUT_MS) });
      for (let index = 0; index < 5; index += 1) await send(second, 'get', '/api/tags', `${prefix}-second-${index}`);
      await waitFor('35 entries in the log index', async () => (await countLogged()) >= 35, { timeoutMs: 20_000, intervalMs: 250, details: details(second) });
      // Its attempt to create the index was answered "already exists", and did not stop it.
      expect(creations(index).slice(earlier)).toEqual([400]);
      expect((await logged()).filter((entry) => (entry._source.requestId as string).startsWith(`${prefix}-second-`))).toHaveLength(5);
      expect(warnings(second)).toBe(0);
      await second.stop();
    });

    it('answers as fast as before while the node hangs, says so once, and ships what waited once the node answers', async () => {
      const before = await trafficFor(api, 1.5, `${prefix}-before`);
      await waitFor('the entries before the node hangs', async () => (await countLogged()) >= 35 + before.length, { timeoutMs: 20_000, intervalMs: 250, details: details(api) });
      proxy.hang(true);
      const during = await trafficFor(api, (2 * LIVE_TIMEOUT_MS) / 1000 + 1.5, `${prefix}-hanging`);
      await waitFor('the sink to report the hanging node', () => warnings(api) > 0, { timeoutMs: 10_000, details: () => api.output().slice(-2000) });
      // At least two shipments hung, each until ELASTICSEARCH_TIMEOUT_MS; one warning.
      expect(proxy.held).toBeGreaterThanOrEqual(2);
      expect(warnings(api)).toBe(1);
      expect(Math.max(...during)).toBeLessThan(LIVE_TIMEOUT_MS);
      console.log(`request-log sink, ${node.engine} hanging: median ${median(during).toFixed(0)} ms (before ${median(before).toFixed(0)} ms), slowest ${Math.max(...during).toFixed(0)} ms`);

      proxy.hang(false);
      await send(api, 'get', '/api/tags', `${prefix}-after`);
      // Everything sent while it hung waited for it (well below the buffer's bound), and arrives once.
      await waitFor('every entry once the node answers again', async () => (await countLogged()) >= 35 + before.length + during.length + 1, {
        timeoutMs: 30_000,
        intervalMs: 250,
        details: details(api),
      });
      await sleep(FLUSH_EVERY_MS * 1.5);
      const entries = await logged();
      expect(entries).toHaveLength(35 + before.length + during.length + 1);
      expect(entries.filter((entry) => (entry._source.requestId as string).startsWith(`${prefix}-hanging-`))).toHaveLength(during.length);
      expect(entries.some((entry) => entry._source.requestId === `${prefix}-after`)).toBe(true);
      await waitFor('the sink to say the node answers again', () => api.output().includes(`Request logs reach ${node.engine === 'opensearch' ? 'OpenSearch' : 'Elasticsearch'} again (0 entries were dropped meanwhile)`));
    });
  });
} else {
  // Said in the output on purpose: the entries' landing needs a real node.
  console.log('request-log sink suite: no search node named (ELASTICSEARCH_NODE, or npm run test:search-live), so only hanging and dead nodes are tested here');

  describe.each<[string, SinkEngine]>([
    ['Elasticsearch', 'elasticsearch'],
    ['OpenSearch', 'opensearch'],
  ])('Request-log sink on the %s client, with no node that answers', (_name, engine) => {
    let redis: ThrowawayRedis;

    beforeAll(async () => {
      redis = await startThrowawayRedis();
    });

    afterAll(async () => {
      await stopAll();
    });

    it('answers every request within ELASTICSEARCH_TIMEOUT_MS while the node accepts connections and never answers, and says so once', async () => {
      const requestLines: string[] = [];
      const sockets = new Set<Socket>();
      const hanging = createServer((socket) => {
        sockets.add(socket);
        socket.once('data', (chunk: Buffer) => requestLines.push(chunk.toString().split('\r\n')[0]));
      });
      const port = await freePort();
      await new Promise<void>((resolve) => hanging.listen(port, '127.0.0.1', resolve));
      const prefix = unique('conduit-search-hanging-').toLowerCase();
      try {
        const api = await startApi({ REDIS_URL: redis.url, ...sinkSettings(engine, `http://127.0.0.1:${port}`, prefix, TIMEOUT_MS) });
        const latencies = await trafficFor(api, (2 * TIMEOUT_MS) / 1000 + 1.5, 'hanging');
        await waitFor('the sink to report the hanging node', () => warnings(api) > 0, { timeoutMs: 10_000, details: () => api.output().slice(-2000) });
        // The sink tried again after its first shipment timed out (creating the day's index, which never came), and warned once.
        expect(requestLines.filter((line) => line.startsWith(`PUT /${prefix}-`)).length).toBeGreaterThanOrEqual(2);
        expect(warnings(api)).toBe(1);
        expect(Math.max(...latencies)).toBeLessThan(TIMEOUT_MS);
        console.log(`request-log sink, ${engine} client, hanging node: ${latencies.length} requests, median ${median(latencies).toFixed(0)} ms, slowest ${Math.max(...latencies).toFixed(0)} ms`);
        expect((await request(api.url).get('/health/live')).status).toBe(200);
      } finally {
        for (const socket of sockets) socket.destroy();
        hanging.close();
      }
    });

    it('answers every request within ELASTICSEARCH_TIMEOUT_MS while nothing listens on the node’s port, and says so once', async () => {
      const port = await freePort();
      const api = await startApi({ REDIS_URL: redis.url, ...sinkSettings(engine, `http://127.0.0.1:${port}`, unique('conduit-search-dead-').toLowerCase(), TIMEOUT_MS) });
      const latencies = await trafficFor(api, 3.5, 'dead');
      await waitFor('the sink to report the dead node', () => warnings(api) > 0, { timeoutMs: 10_000, details: () => api.output().slice(-2000) });
      expect(api.output()).toMatch(/Request logs not sent to (Elasticsearch|OpenSearch) \(up to 10000 entries wait for it, later ones are dropped\): .*(ECONNREFUSED|connect)/i);
      expect(warnings(api)).toBe(1);
      expect(Math.max(...latencies)).toBeLessThan(TIMEOUT_MS);
      console.log(`request-log sink, ${engine} client, dead node: ${latencies.length} requests, median ${median(latencies).toFixed(0)} ms, slowest ${Math.max(...latencies).toFixed(0)} ms`);
    });
  });
}
