import type { estypes } from '@elastic/elasticsearch';
import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import type { Environment } from '@/config/environment';
import type { BulkRequest, SearchIndexClient, SearchRequestOptions } from './engines/search-index-client';
import { BUFFER_MAX, dailyLogIndex, FLUSH_AT, FLUSH_EVERY_MS, REQUEST_LOG_MAPPINGS, RequestLogEntry, RequestLogSink, toRequestLogEntry } from './request-log.sink';

describe('request log entries', () => {
  it('go to one index a day (UTC)', () => {
    expect(dailyLogIndex('conduit-logs', new Date('2026-12-06T23:59:59Z'))).toBe('conduit-logs-2026.12.06');
    expect(dailyLogIndex('conduit-logs', new Date('2026-12-07T00:00:00Z'))).toBe('conduit-logs-2026.12.07');
  });

  it('hold the request’s outline and the id its response carries, never its query string or credentials', () => {
    const entry = toRequestLogEntry(
      { method: 'GET', originalUrl: '/api/search/articles?q=secret', headers: { authorization: 'Token abc', 'x-request-id': 'raw header', 'user-agent': 'jest' }, ip: '127.0.0.1' },
      { status: 200, requestId: 'r1' },
      12.345,
      new Date('2026-12-06T10:00:00Z'),
    );
    expect(entry).toEqual({
      '@timestamp': '2026-12-06T10:00:00.000Z',
      method: 'GET',
      path: '/api/search/articles',
      status: 200,
      durationMs: 12.3,
      requestId: 'r1',
      userAgent: 'jest',
      ip: '127.0.0.1',
    });
  });
});

/** A search node in memory: what it was asked, and answers the test controls. */
class RecordingNode implements Partial<SearchIndexClient> {
  readonly created: Array<{ index: string; mappings: estypes.MappingTypeMapping; options?: SearchRequestOptions }> = [];
  readonly bulks: Array<{ operations: unknown[]; options?: SearchRequestOptions }> = [];
  /** Set: every request waits for this instead of answering. */
  hold?: Promise<void>;
  existing = new Set<string>();

  async createIndex(request: { index: string; mappings: estypes.MappingTypeMapping }, options?: SearchRequestOptions): Promise<void> {
    await this.hold;
    this.created.push({ index: request.index, mappings: request.mappings, options });
    if (this.existing.has(request.index)) throw Object.assign(new Error('exists'), { meta: { body: { error: { type: 'resource_already_exists_exception' } } } });
    this.existing.add(request.index);
  }

  async bulk(request: BulkRequest, options?: SearchRequestOptions): Promise<estypes.BulkResponse> {
    await this.hold;
    this.bulks.push({ operations: request.operations, options });
    const items = request.operations.filter((_, position) => position % 2 === 0).map(() => ({ create: { _index: 'x', status: 201 } }));
    return { took: 1, errors: false, items };
  }

  entries(): RequestLogEntry[] {
    return this.bulks.flatMap((bulk) => bulk.operations.filter((_, position) => position % 2 === 1) as RequestLogEntry[]);
  }
}

function sinkOn(node: RecordingNode, settings: Partial<Environment> = {}): RequestLogSink {
  const values: Partial<Environment> = { LOG_ELASTICSEARCH_PREFIX: 'logs', ELASTICSEARCH_TIMEOUT_MS: 1_500, ELASTICSEARCH_NODE: 'http://127.0.0.1:1', ...settings };
  const config = { get: (key: keyof Environment) => values[key] } as unknown as ConfigService<Environment, true>;
  const unused = {} as SearchIndexClient;
  return settings.SEARCH_ENGINE === 'opensearch' ? new RequestLogSink(unused as never, node as never, config) : new RequestLogSink(node as never, unused as never, config);
}

function entryAt(at: string, path = '/api/tags'): RequestLogEntry {
  return { '@timestamp': at, method: 'GET', path, status: 200, durationMs: 1 };
}

describe('the request log sink', () => {
  let warnings: string[];
  let notes: string[];

  beforeEach(() => {
    jest.useFakeTimers();
    warnings = [];
    notes = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
    jest.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => void notes.push(String(message)));
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('ships what a second brought in one bulk request, after creating the day’s index once with its mapping', async () => {
    const node = new RecordingNode();
    const sink = sinkOn(node);
    for (let index = 0; index < 30; index += 1) sink.record(entryAt('2026-12-06T10:00:00.000Z', `/api/${index}`));
    expect(node.bulks).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(FLUSH_EVERY_MS);
    for (let index = 0; index < 5; index += 1) sink.record(entryAt('2026-12-06T10:00:01.000Z'));
    await jest.advanceTimersByTimeAsync(FLUSH_EVERY_MS);
    expect(node.bulks.map((bulk) => bulk.operations.length / 2)).toEqual([30, 5]);
    expect(node.bulks[0].operations[0]).toEqual({ create: { _index: 'logs-2026.12.06', _id: expect.stringMatching(/^[0-9a-f-]{36}$/) } });
    expect(node.created).toEqual([{ index: 'logs-2026.12.06', mappings: REQUEST_LOG_MAPPINGS, options: { requestTimeout: 1_500, maxRetries: 0 } }]);
    expect(node.bulks[0].options).toEqual({ requestTimeout: 1_500, maxRetries: 0 });
    expect(warnings).toEqual([]);
  });

  it('ships at once at FLUSH_AT entries, and creates each day’s index of a shipment that spans midnight', async () => {
    const node = new RecordingNode();
    const sink = sinkOn(node, { SEARCH_ENGINE: 'opensearch' });
    sink.record(entryAt('2026-12-06T23:59:59.900Z'));
    for (let index = 1; index < FLUSH_AT; index += 1) sink.record(entryAt('2026-12-07T00:00:00.100Z'));
    await jest.advanceTimersByTimeAsync(1);
    expect(node.bulks.map((bulk) => bulk.operations.length / 2)).toEqual([FLUSH_AT]);
    expect(node.created.map((created) => created.index)).toEqual(['logs-2026.12.06', 'logs-2026.12.07']);
  });

  it('takes an index another api process created first as created', async () => {
    const node = new RecordingNode();
    node.existing.add('logs-2026.12.06');
    const sink = sinkOn(node);
    sink.record(entryAt('2026-12-06T10:00:00.000Z'));
    await jest.advanceTimersByTimeAsync(FLUSH_EVERY_MS);
    sink.record(entryAt('2026-12-06T10:00:02.000Z'));
    await jest.advanceTimersByTimeAsync(FLUSH_EVERY_MS);
    expect(node.created).toHaveLength(1);
    expect(node.entries()).toHaveLength(2);
    expect(warnings).toEqual([]);
  });

  it('keeps one shipment under way at most, bounds what waits, ships the backlog FLUSH_AT at a time, and says once what a silent node lost', async () => {
    const node = new RecordingNode();
    let answer!: () => void;
    node.hold = new Promise((resolve) => (answer = resolve));
    const sink = sinkOn(node);
    sink.record(entryAt('2026-12-06T10:00:00.000Z'));
    await jest.advanceTimersByTimeAsync(FLUSH_EVERY_MS);
    // The first shipment waits on the node: what comes meanwhile is kept up to the bound.
    for (let index = 0; index < BUFFER_MAX + 250; index += 1) sink.record(entryAt('2026-12-06T10:00:01.000Z'));
    await jest.advanceTimersByTimeAsync(5 * FLUSH_EVERY_MS);
    expect(node.created).toHaveLength(0);
    answer();
    node.hold = undefined;
    await jest.advanceTimersByTimeAsync(FLUSH_EVERY_MS);
    expect(node.bulks.map((bulk) => bulk.operations.length / 2)).toEqual([1, ...Array<number>(BUFFER_MAX / FLUSH_AT).fill(FLUSH_AT)]);
    expect(warnings).toEqual([`Request logs not sent to Elasticsearch (up to ${BUFFER_MAX} entries wait for it, later ones are dropped): ${BUFFER_MAX} entries already wait for a shipment`]);
    expect(notes).toEqual(['Request logs reach Elasticsearch again (250 entries were dropped meanwhile)']);
  });

  it('keeps the entries of failed shipments for the next one, tries once a second, warns once however many fail, and says when shipments succeed again', async () => {
    const node = new RecordingNode();
    const refusing = jest.spyOn(node, 'bulk').mockRejectedValue(new Error('connect ECONNREFUSED 127.0.0.1:1'));
    const sink = sinkOn(node);
    for (let second = 0; second < 3; second += 1) {
      for (let index = 0; index < FLUSH_AT; index += 1) sink.record(entryAt('2026-12-06T10:00:00.000Z', `/api/${second}`));
      await jest.advanceTimersByTimeAsync(FLUSH_EVERY_MS);
    }
    // One attempt at once (FLUSH_AT reached), then one a second (at 1, 2 and 3 s), though more than FLUSH_AT entries wait.
    expect(refusing).toHaveBeenCalledTimes(4);
    expect(warnings).toEqual(['Request logs not sent to Elasticsearch (up to 10000 entries wait for it, later ones are dropped): connect ECONNREFUSED 127.0.0.1:1']);
    refusing.mockRestore();
    // The next attempt succeeds, and the backlog follows at once.
    await jest.advanceTimersByTimeAsync(FLUSH_EVERY_MS);
    await jest.advanceTimersByTimeAsync(10);
    expect(node.bulks.map((bulk) => bulk.operations.length / 2)).toEqual([FLUSH_AT, FLUSH_AT, FLUSH_AT]);
    expect(node.entries().map((entry) => entry.path)).toEqual([...Array<string>(FLUSH_AT).fill('/api/0'), ...Array<string>(FLUSH_AT).fill('/api/1'), ...Array<string>(FLUSH_AT).fill('/api/2')]);
    expect(notes).toEqual(['Request logs reach Elasticsearch again (0 entries were dropped meanwhile)']);
  });

  it('takes entries a node answers 409 for as stored (a shipment it took after the sink had given up on it), and drops those it refuses', async () => {
    const node = new RecordingNode();
    jest.spyOn(node, 'bulk').mockResolvedValueOnce({
      took: 1,
      errors: true,
      items: [
        { create: { _index: 'logs-2026.12.06', status: 409, error: { type: 'version_conflict_engine_exception', reason: 'document already exists' } } },
        { create: { _index: 'logs-2026.12.06', status: 400, error: { type: 'document_parsing_exception', reason: 'bad field' } } },
        { create: { _index: 'logs-2026.12.06', status: 201 } },
      ],
    });
    const sink = sinkOn(node);
    for (let index = 0; index < 3; index += 1) sink.record(entryAt('2026-12-06T10:00:00.000Z'));
    await jest.advanceTimersByTimeAsync(FLUSH_EVERY_MS);
    expect(warnings).toEqual(['Request logs not sent to Elasticsearch (up to 10000 entries wait for it, later ones are dropped): 1 of 3 entries refused (document_parsing_exception: bad field)']);
    sink.record(entryAt('2026-12-06T10:00:02.000Z'));
    await jest.advanceTimersByTimeAsync(FLUSH_EVERY_MS);
    expect(notes).toEqual(['Request logs reach Elasticsearch again (1 entries were dropped meanwhile)']);
  });

  it('ships what is left when the process shuts down', async () => {
    const node = new RecordingNode();
    const sink = sinkOn(node);
    sink.record(entryAt('2026-12-06T10:00:00.000Z'));
    await sink.onModuleDestroy();
    expect(node.entries()).toHaveLength(1);
  });
});
