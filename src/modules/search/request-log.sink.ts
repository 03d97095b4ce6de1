import type { estypes } from '@elastic/elasticsearch';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NextFunction, Request, Response } from 'express';
import type { Environment } from '@/config/environment';
import { REQUEST_ID_HEADER } from '@/infra/logging/request-context';
import { configuredSearchEngine } from './engines/elasticsearch-search.engine';
import { ElasticsearchIndexClient, OpenSearchIndexClient, type SearchIndexClient, type SearchRequestOptions, searchErrorType } from './engines/search-index-client';

export interface RequestLogEntry {
  '@timestamp': string;
  method: string;
  /** The path without its query string (which may carry search words or tokens). */
  path: string;
  status: number;
  durationMs: number;
  requestId?: string;
  userAgent?: string;
  ip?: string;
}

export const FLUSH_EVERY_MS = 1_000;
export const FLUSH_AT = 500;
/** Beyond this, entries are dropped rather than let memory grow while the node is away or slow. */
export const BUFFER_MAX = 10_000;
/** Day indices remembered as created: today's, and yesterday's for entries shipped just after midnight. */
const REMEMBERED_INDICES = 3;

/** The day's log index: `<prefix>-YYYY.MM.DD` (UTC), so old days can be dropped whole. */
export function dailyLogIndex(prefix: string, at: Date): string {
  const day = at.toISOString().slice(0, 10).replaceAll('-', '.');
  return `${prefix}-${day}`;
}

/**
 * The entry of one finished request. `requestId` is the id the response carries (the client's
 * when it was usable, else one made up: see request-context.ts), never the raw header.
 */
export function toRequestLogEntry(
  request: Pick<Request, 'method' | 'originalUrl' | 'headers' | 'ip'>,
  response: { status: number; requestId?: unknown },
  durationMs: number,
  at: Date,
): RequestLogEntry {
  const { status, requestId } = response;
  return {
    '@timestamp': at.toISOString(),
    method: request.method,
    path: request.originalUrl.split('?')[0],
    status,
    durationMs: Math.round(durationMs * 10) / 10,
    ...(typeof requestId === 'string' && { requestId }),
    ...(request.headers['user-agent'] && { userAgent: request.headers['user-agent'] }),
    ...(request.ip && { ip: request.ip }),
  };
}

/**
 * The mapping of a day's log index, given at creation: nodes that refuse to create indices on
 * write (`action.auto_create_index=false`) need one, and a dynamic mapping would make the path a
 * text field and the duration a long from whichever entry came first. Fields other than these are
 * kept in the source but not indexed.
 */
export const REQUEST_LOG_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: false,
  properties: {
    '@timestamp': { type: 'date' },
    method: { type: 'keyword' },
    path: { type: 'keyword', ignore_above: 2048 },
    status: { type: 'integer' },
    durationMs: { type: 'float' },
    requestId: { type: 'keyword' },
    userAgent: { type: 'keyword', ignore_above: 512 },
    ip: { type: 'keyword' },
  },
};

/** A day's logs are small: one shard (the cluster's default number of replicas). */
const REQUEST_LOG_SETTINGS: estypes.IndicesIndexSettings = { number_of_shards: 1 };

/**
 * With LOG_ELASTICSEARCH=true, one structured entry per request (never its query string, headers
 * or body) goes to the day's log index on the search node: OpenSearch's when SEARCH_ENGINE is
 * opensearch, else Elasticsearch's (ELASTICSEARCH_NODE).
 *
 * Logging never slows or fails a request: the entry is buffered once the response is finished,
 * and shipped later, one `_bulk` request per flush (every second, or at FLUSH_AT entries), at
 * most one shipment at a time, each request bounded by ELASTICSEARCH_TIMEOUT_MS and never retried.
 * The sink creates each day's index itself (once; another api process having created it first is
 * fine). A node that is down or hangs is reported once; the entries of a failed shipment, and any
 * beyond BUFFER_MAX while one is under way, are dropped and counted, and the count is reported
 * when shipments succeed again.
 */
@Injectable()
export class RequestLogSink implements OnModuleDestroy {
  private readonly logger = new Logger('RequestLogSink');
  private readonly prefix: string;
  private readonly client: SearchIndexClient;
  /** The node's kind, for messages. */
  private readonly node: 'Elasticsearch' | 'OpenSearch';
  private readonly requestOptions: SearchRequestOptions;
  private buffer: Array<{ index: string; entry: RequestLogEntry }> = [];
  private timer?: NodeJS.Timeout;
  private shipping?: Promise<void>;
  /** Day indices known to exist: created here, or found created by another api process. */
  private readonly knownIndices = new Set<string>();
  private failing = false;
  private dropped = 0;

  constructor(elasticsearch: ElasticsearchIndexClient, opensearch: OpenSearchIndexClient, config: ConfigService<Environment, true>) {
    const onOpenSearch = configuredSearchEngine(config) === 'opensearch';
    this.client = onOpenSearch ? opensearch : elasticsearch;
    this.node = onOpenSearch ? 'OpenSearch' : 'Elasticsearch';
    this.prefix = config.get('LOG_ELASTICSEARCH_PREFIX', { infer: true });
    // No retry: the clients retry a timed-out request, which would hold a shipment twice as long.
    this.requestOptions = { requestTimeout: config.get('ELASTICSEARCH_TIMEOUT_MS', { infer: true }), maxRetries: 0 };
  }

  /** The middleware (see SearchModule): one entry once the response is finished. */
  use(request: Request, response: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      this.record(toRequestLogEntry(request, { status: response.statusCode, requestId: response.getHeader(REQUEST_ID_HEADER) }, durationMs, new Date()));
    });
    next();
  }

  /** Ships what is buffered before the process exits (a shipment under way is waited for first). */
  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.shipping;
    if (this.buffer.length > 0) await this.ship();
  }

  /** Buffers one entry; never waits and never throws. */
  record(entry: RequestLogEntry): void {
    if (this.buffer.length >= BUFFER_MAX) {
      this.failed(1, `${BUFFER_MAX} entries already wait for a shipment`);
      return;
    }
    this.buffer.push({ index: dailyLogIndex(this.prefix, new Date(entry['@timestamp'])), entry });
    this.schedule();
  }

  /** Starts a shipment at FLUSH_AT entries, or FLUSH_EVERY_MS after the first one buffered; one at a time. */
  private schedule(): void {
    if (this.shipping || this.buffer.length === 0) return;
    if (this.buffer.length < FLUSH_AT) {
      this.timer ??= setTimeout(() => this.startShipment(), FLUSH_EVERY_MS).unref();
      return;
    }
    // Not in this call: it runs in a response's `finish` handler.
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.startShipment(), 0).unref();
  }

  private startShipment(): void {
    this.timer = undefined;
    if (this.shipping) return;
    this.shipping = this.ship().finally(() => {
      this.shipping = undefined;
      this.schedule();
    });
  }

  /** One shipment of everything buffered: the day indices it needs, then one `_bulk`. */
  private async ship(): Promise<void> {
    const batch = this.buffer;
    this.buffer = [];
    let response: estypes.BulkResponse;
    try {
      for (const index of new Set(batch.map((item) => item.index))) await this.ensureIndex(index);
      response = await this.client.bulk({ operations: batch.flatMap(({ index, entry }) => [{ create: { _index: index } }, entry]) }, this.requestOptions);
    } catch (error) {
      this.failed(batch.length, (error as Error).message);
      return;
    }
    const refused = response.items.flatMap((item) => (item.create?.error ? [{ index: item.create._index, error: item.create.error }] : []));
    // An index deleted behind our back (retention) is created again by the next shipment.
    for (const { index, error } of refused) if (error.type === 'index_not_found_exception') this.knownIndices.delete(index);
    if (refused.length > 0) {
      this.failed(refused.length, `${refused.length} of ${batch.length} entries refused (${refused[0].error.type}: ${refused[0].error.reason ?? ''})`);
      return;
    }
    if (this.failing || this.dropped > 0) this.logger.log(`Request logs reach ${this.node} again (${this.dropped} entries were dropped meanwhile)`);
    this.failing = false;
    this.dropped = 0;
  }

  /** Counts what a shipment lost, and says so once until shipments succeed again. */
  private failed(lost: number, reason: string): void {
    this.dropped += lost;
    if (!this.failing) this.logger.warn(`Request logs not sent to ${this.node} (dropped until it answers again): ${reason}`);
    this.failing = true;
  }

  private async ensureIndex(index: string): Promise<void> {
    if (this.knownIndices.has(index)) return;
    try {
      await this.client.createIndex({ index, settings: REQUEST_LOG_SETTINGS, mappings: REQUEST_LOG_MAPPINGS }, this.requestOptions);
    } catch (error) {
      // Another api process created it first.
      if (searchErrorType(error) !== 'resource_already_exists_exception') throw error;
    }
    this.knownIndices.add(index);
    if (this.knownIndices.size > REMEMBERED_INDICES) this.knownIndices.delete(this.knownIndices.values().next().value!);
  }
}
