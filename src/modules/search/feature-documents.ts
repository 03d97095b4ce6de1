import { Inject, Injectable, Logger } from '@nestjs/common';
import { toPage } from '@/common/pagination/page-query.dto';
import { type EventDefinitions, type EventSubscription, type EventTable, reactTo } from '@/infra/outbox/domain-events';
import { type JobIntent, OutboxService } from '@/infra/outbox/outbox.service';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { QUEUES } from '@/infra/queue/queues';
import type { FeatureSearchHighlightsDto, SearchQueryDto } from './dto/search.dto';
import { type FeatureDocument, SEARCH_ENGINE, type SearchEngine } from './search-engine';
import { SEARCH_JOBS } from './search-jobs';
import { renderHighlights } from './search-text';
import { askSearchEngine } from './search.errors';
import { SearchLimits } from './search-limits';

/**
 * Search for generated features (`nest g feature <name> --searchable`). A feature emits the domain
 * events `<name>.changed` and `<name>.deleted` (payload `{ id }`) in each write's transaction, which
 * search follows (`searchFollows`, listed in src/event-subscriptions.ts) as jobs of the same names
 * on the `search` queue; the feature registers a source of its documents here, and the queue's
 * handler reads the item's document from the source and writes it to the engine (or deletes it
 * when the source answers none). The feature's search route asks FeatureSearch.
 */

/** What a searchable feature gives the search queue: its items' current documents. */
export interface FeatureDocumentSource {
  /** The feature's plural name (`bookmarks`): the prefix of its events and the documents' type. */
  readonly type: string;
  /** The current documents of `ids`; an id without one (the item is gone) is deleted from the index. */
  documents(ids: number[]): Promise<FeatureDocument[]>;
  /** Up to `limit` ids of existing items above `after`, ascending: every item, page by page (for a resync). */
  ids(after: number, limit: number): Promise<number[]>;
}

/**
 * Search's subscriptions to a searchable feature's events: `<type>.changed` and `<type>.deleted`
 * each become the `search` queue's job of the same name, with the item's id.
 */
export function searchFollows<Events extends EventTable>(events: EventDefinitions<Events>, type: string): EventSubscription[] {
  return (['changed', 'deleted'] as const).map((change) =>
    reactTo(events, `${type}.${change}` as keyof Events & string, `search: ${type} documents`, (payload) =>
      featureDocumentJob(type, change, (payload as { id: number }).id),
    ),
  );
}

/** The `search` queue's job that brings one feature item's document in line: `<type>.changed` or `<type>.deleted`. */
function featureDocumentJob(type: string, change: 'changed' | 'deleted', id: number): JobIntent {
  return { queue: QUEUES.search, name: `${type}.${change}`, payload: { id } };
}

/** How many items' events a resync writes per statement. */
const RESYNC_PAGE = 1_000;

/** The sources of the features this process knows, registered by each feature as it starts. */
@Injectable()
export class FeatureDocumentSources {
  private readonly sources = new Map<string, FeatureDocumentSource>();

  register(source: FeatureDocumentSource): void {
    const known = this.sources.get(source.type);
    if (known && known !== source) throw new Error(`two search document sources for "${source.type}"`);
    this.sources.set(source.type, source);
  }

  get(type: string): FeatureDocumentSource | undefined {
    return this.sources.get(type);
  }

  all(): FeatureDocumentSource[] {
    return [...this.sources.values()];
  }
}

/** The names of every feature's search events on the `search` queue: `<type>.changed`, `<type>.deleted`. */
export const FEATURE_DOCUMENT_EVENT = /^([a-z][a-z0-9-]*)\.(changed|deleted)$/;

/** `bookmarks.changed` -> the type `bookmarks`; undefined for a name that is not a feature's event. */
export function featureDocumentEventType(jobName: string): string | undefined {
  return FEATURE_DOCUMENT_EVENT.exec(jobName)?.[1];
}

/** Brings one feature item's document in line with the database (worker process). */
@Injectable()
export class FeatureDocumentSync {
  constructor(
    @Inject(SEARCH_ENGINE) private readonly engine: SearchEngine,
    private readonly sources: FeatureDocumentSources,
    private readonly outbox: OutboxService,
    private readonly prisma: PrismaService,
  ) {}

  /**
   * Asks for every feature document to be written again (after a switch of engine, or a lost
   * index): one outbox event, handled by the worker, which alone knows every feature's source.
   */
  requestResync(): Promise<void> {
    return this.outbox.add(this.prisma, SEARCH_JOBS.intent('resync-features', {}));
  }

  /**
   * Writes a `<type>.changed` event for every item of every feature this process knows; the
   * search queue then indexes each one as for any change. New events carry new, higher versions,
   * so the resync overwrites every older document and loses to no newer change.
   */
  async resyncAll(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const source of this.sources.all()) {
      counts[source.type] = 0;
      for (let after = 0; ; ) {
        const ids = await source.ids(after, RESYNC_PAGE);
        if (ids.length === 0) break;
        await this.outbox.add(this.prisma, ...ids.map((id) => featureDocumentJob(source.type, 'changed', id)));
        counts[source.type] += ids.length;
        after = ids[ids.length - 1];
      }
    }
    return counts;
  }

  /**
   * Reads the item's current document and writes it with `version` (its event's id): events for
   * one item are written in the order of their transactions, so a late or repeated one is stale.
   * Throws (the job is retried) when the feature is unknown here or the write failed.
   */
  async sync(type: string, id: number, version: bigint): Promise<void> {
    const source = this.sources.get(type);
    if (!source) throw new Error(`no search document source for "${type}": is its module imported by the worker?`);
    const [document] = await source.documents([id]);
    const [outcome] = await this.engine.writeFeatureDocuments([
      document ? { kind: 'index', type, id, version, document } : { kind: 'delete', type, id, version },
    ]);
    if (outcome?.result === 'failed') throw new Error(`${type} ${id}: ${outcome.error ?? 'write failed'}`);
  }
}

export interface FeatureSearchResult {
  /** Most relevant first, with their score and highlights (HTML-escaped, matches in <em>). */
  hits: Array<{ id: number; score: number; highlights: FeatureSearchHighlightsDto }>;
  total: number;
}

/** Searches one feature's documents (api process); an engine that cannot answer is a 503. */
@Injectable()
export class FeatureSearch {
  private readonly logger = new Logger('FeatureSearch');

  constructor(
    @Inject(SEARCH_ENGINE) private readonly engine: SearchEngine,
    private readonly limits: SearchLimits,
  ) {}

  async search(type: string, query: SearchQueryDto): Promise<FeatureSearchResult> {
    const result = await this.limits.run(() =>
      askSearchEngine(this.engine, this.logger, () =>
        this.engine.searchFeatureDocuments({ type, text: query.q, ...toPage(query), totalMax: this.limits.totalMax }),
      ),
    );
    return {
      total: this.limits.capped(result.total),
      hits: result.hits.map((hit) => ({
        id: hit.id,
        score: hit.score,
        highlights: renderHighlights(hit.highlights),
      })),
    };
  }
}
