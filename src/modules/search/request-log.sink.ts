import type { estypes } from '@elastic/elasticsearch';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
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

/** An entry waiting to be shipped: its index, and an id of its own so that sending it twice stores it once. */
interface PendingEntry {
  index: string;
  id: string;
  entry: RequestLogEntry;
}

/**
 * With LOG_ELASTICSEARCH=true, one structured entry per request (never its query string, headers
 * or body) goes to the day's log index on the search node: OpenSearch's when SEARCH_ENGINE is
 * opensearch, else Elasticsearch's (ELASTICSEARCH_NODE).
 *
 * Logging never slows or fails a request: the entry is buffered once the response is finished,
 * and shipped later, one `_bulk` request per shipment (every second, or at once from FLUSH_AT
 * entries, at most FLUSH_AT a shipment), one shipment at a time, each request bounded by
 * ELASTICSEARCH_TIMEOUT_MS and never retried by the client. The sink creates each day's index
 * itself (once; another api process having created it first is fine). A node that is down or
 * hangs is reported once; meanwhile entries wait, up to BUFFER_MAX, and are shipped once it answers
 * (each with its own id, so that a shipment that timed out but was stored stores nothing twice);
 * entries past the bound, and those the node refuses, are dropped and counted, and the count is
 * reported when shipments succeed again.
 */
@Injectable()
export class RequestLogSink implements OnModuleDestroy {
  private readonly logger = new Logger('RequestLogSink');
  private readonly prefix: string;
  private readonly client: SearchIndexClient;
  /** The node's kind, for messages. */
  private readonly node: 'Elasticsearch' | 'OpenSearch';
  private readonly requestOptions: SearchRequestOptions;
  private buffer: PendingEntry[] = [];
  private timer?: NodeJS.Timeout;
  /** The timer due is the immediate one (FLUSH_AT reached), not the one a second after. */
  private timerIsSoon = false;
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

  /** Ships what is buffered before the process exits (a shipment under way is waited for first); gives up once one fails. */
  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.shipping;
    while (this.buffer.length > 0 && !(await this.ship())) {
      // Until everything is shipped, or a shipment failed.
    }
  }

  /** Buffers one entry; never waits and never throws. */
  record(entry: RequestLogEntry): void {
    if (this.buffer.length >= BUFFER_MAX) {
      this.failed(1, `${BUFFER_MAX} entries already wait for a shipment`);
      return;
    }
    this.buffer.push({ index: dailyLogIndex(this.prefix, new Date(entry['@timestamp'])), id: randomUUID(), entry });
    this.schedule();
  }

  /**
   * The next shipment: at once from FLUSH_AT entries, else FLUSH_EVERY_MS after the first one
   * buffered, and never two at a time. While the node fails, once a FLUSH_EVERY_MS at most.
   */
  private schedule(): void {
    if (this.shipping || this.buffer.length === 0) return;
    const soon = this.buffer.length >= FLUSH_AT && !this.failing;
    if (this.timer && (this.timerIsSoon || !soon)) return;
    clearTimeout(this.timer);
    this.timerIsSoon = soon;
    // Never at once in this call: it runs in a response's `finish` handler.
    this.timer = setTimeout(() => this.startShipment(), soon ? 0 : FLUSH_EVERY_MS).unref();
  }

  private startShipment(): void {
    this.timer = undefined;
    if (this.shipping) return;
    this.shipping = this.ship()
      .then(() => undefined)
      .finally(() => {
        this.shipping = undefined;
        this.schedule();
      });
  }

  /**
   * One shipment of the oldest FLUSH_AT entries at most (a bounded piece of work on the event
   * loop): the day indices it needs, then one `_bulk`. Resolves to whether the node took it.
   */
  private async ship(): Promise<boolean> {
    const batch = this.buffer.splice(0, FLUSH_AT);
    let response: estypes.BulkResponse;
    try {
      for (const index of new Set(batch.map((pending) => pending.index))) await this.ensureIndex(index);
      response = await this.client.bulk({ operations: batch.flatMap(({ index, id, entry }) => [{ create: { _index: index, _id: id } }, entry]) }, this.requestOptions);
    } catch (error) {
      this.requeue(batch);
      this.failed(0, (error as Error).message);
      return false;
    }
    // 409: stored by an earlier shipment that timed out after the node had taken it.
    const refused = response.items.flatMap((item) => (item.create?.error && item.create.status !== 409 ? [{ index: item.create._index, error: item.create.error }] : []));
    // An index deleted behind our back (retention) is created again by the next shipment.
    for (const { index, error } of refused) if (error.type === 'index_not_found_exception') this.knownIndices.delete(index);
    if (refused.length > 0) {
      this.failed(refused.length, `${refused.length} of ${batch.length} entries refused (${refused[0].error.type}: ${refused[0].error.reason ?? ''})`);
      return false;
    }
    if (this.failing || this.dropped > 0) this.logger.log(`Request logs reach ${this.node} again (${this.dropped} entries were dropped meanwhile)`);
    this.failing = false;
    this.dropped = 0;
    return true;
  }

  /** Puts a failed shipment back in front, keeping BUFFER_MAX entries at most (the newest go). */
  private requeue(batch: PendingEntry[]): void {
    this.buffer = batch.concat(this.buffer);
    const excess = this.buffer.length - BUFFER_MAX;
    if (excess > 0) {
      this.buffer.length = BUFFER_MAX;
      this.dropped += excess;
    }
  }

  /** Counts what was lost, and says once that shipments fail, until they succeed again. */
  private failed(lost: number, reason: string): void {
    this.dropped += lost;
    if (!this.failing) this.logger.warn(`Request logs not sent to ${this.node} (up to ${BUFFER_MAX} entries wait for it, later ones are dropped): ${reason}`);
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
