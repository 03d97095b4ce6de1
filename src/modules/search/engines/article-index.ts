import type { estypes } from '@elastic/elasticsearch';
import type { ArticleDocument, ArticleSearch, SearchHighlights, SyncOperation, SyncOutcome, TrendingTag } from '../search-engine';
import { HIGHLIGHT_END, HIGHLIGHT_START, parseSearchText, type SearchTerm, storableDocument } from '../search-text';
import { ENGLISH_STOP_WORDS } from '../stop-words';

/**
 * Pure builders of what Conduit sends to Elasticsearch (index settings and mapping, search,
 * trending and bulk requests) and readers of what comes back, kept free of I/O so that unit tests
 * can pin them down without a server.
 */

/** Title counts most, then tags and description, then the body: the weights of the PostgreSQL vector. */
export const SEARCH_FIELDS = ['title^4', 'tags^2', 'description^2', 'body'];

const TEXT = { type: 'text', analyzer: 'article_text' } as const;

export function articleIndexSettings(): estypes.IndicesIndexSettings {
  return {
    // One shard: an index of articles fits, and term statistics and aggregations stay exact.
    number_of_shards: 1,
    number_of_replicas: 0,
    analysis: {
      filter: {
        article_possessive: { type: 'stemmer', language: 'possessive_english' },
        // The same stop words and stemmer (Snowball English) as PostgreSQL's `english` configuration.
        article_stop: { type: 'stop', stopwords: [...ENGLISH_STOP_WORDS] },
        article_stemmer: { type: 'stemmer', language: 'porter2' },
      },
      analyzer: {
        article_text: { type: 'custom', tokenizer: 'standard', filter: ['article_possessive', 'lowercase', 'asciifolding', 'article_stop', 'article_stemmer'] },
      },
    },
  };
}

export function articleMappings(): estypes.MappingTypeMapping {
  return {
    dynamic: 'strict',
    properties: {
      id: { type: 'integer' },
      slug: { type: 'keyword' },
      title: TEXT,
      description: TEXT,
      body: TEXT,
      // Searched as words, filtered and aggregated as exact names.
      tags: { ...TEXT, fields: { keyword: { type: 'keyword' } } },
      author: {
        properties: {
          id: { type: 'integer' },
          username: { type: 'text', fields: { keyword: { type: 'keyword' } } },
          image: { type: 'keyword', index: false },
        },
      },
      favoritesCount: { type: 'integer' },
      publishedAt: { type: 'date' },
      createdAt: { type: 'date' },
      updatedAt: { type: 'date' },
    },
  };
}

function termQuery(term: SearchTerm, fields: string[], forExclusion = false): estypes.QueryDslQueryContainer {
  if (term.phrase) return { multi_match: { query: term.text, type: 'phrase', fields } };
  return {
    multi_match: {
      query: term.text,
      fields,
      operator: 'and',
      // Typo tolerance, but never on exclusions (`-dragon` must not exclude "dragoon").
      ...(forExclusion ? {} : { fuzziness: 'AUTO', prefix_length: 1 }),
      // A stop word among other words is ignored, as in PostgreSQL, instead of matching nothing.
      zero_terms_query: forExclusion ? 'none' : 'all',
    },
  };
}

/** The search text (see search-text.ts) over `fields`, with `filter`: the same grammar for every index. */
export function searchTextQuery(text: string, fields: string[], filter: estypes.QueryDslQueryContainer[]): estypes.QueryDslQueryContainer {
  const parsed = parseSearchText(text);
  return {
    bool: {
      must: parsed.required.map((group) =>
        group.length === 1 ? termQuery(group[0], fields) : { bool: { should: group.map((term) => termQuery(term, fields)), minimum_should_match: 1 } },
      ),
      must_not: parsed.excluded.map((term) => termQuery(term, fields, true)),
      filter,
    },
  };
}

/** Whole fields highlighted (short ones) or up to two fragments of a long one. */
export const WHOLE_FIELD_HIGHLIGHT = { number_of_fragments: 0 } as const;
export const FRAGMENTS_HIGHLIGHT = { fragment_size: 160, number_of_fragments: 2 } as const;

/**
 * One page of the documents matching `query`, most relevant first (ties by id), with ids and
 * highlights only: the rows themselves are read from PostgreSQL.
 */
export function rankedPageRequest(
  index: string,
  query: estypes.QueryDslQueryContainer,
  page: { limit: number; offset: number; totalMax?: number },
  highlighted: Record<string, estypes.SearchHighlightField>,
): estypes.SearchRequest {
  return {
    index,
    from: page.offset,
    size: page.limit,
    // Counting stops at the search's cap, as on PostgreSQL: a broad word costs no exact total.
    track_total_hits: page.totalMax ?? true,
    _source: false,
    query,
    sort: [{ _score: { order: 'desc' } }, { id: { order: 'desc' } }],
    highlight: { pre_tags: [HIGHLIGHT_START], post_tags: [HIGHLIGHT_END], fields: highlighted },
  };
}

/** The total of a search response, whichever form it takes. */
export function totalHits(response: estypes.SearchResponse): number {
  return typeof response.hits.total === 'number' ? response.hits.total : (response.hits.total?.value ?? 0);
}

/** The bulk metadata of a write with an external version (applied only above the document's). */
export function externalVersionMeta(index: string, id: string, version: bigint): { _index: string; _id: string; version: number; version_type: 'external' } {
  return { _index: index, _id: id, version: Number(version), version_type: 'external' };
}

export function articleSearchRequest(index: string, search: ArticleSearch): estypes.SearchRequest {
  const filter: estypes.QueryDslQueryContainer[] = [];
  if (search.tag !== undefined) filter.push({ term: { 'tags.keyword': search.tag } });
  if (search.author !== undefined) filter.push({ term: { 'author.username.keyword': search.author } });
  return rankedPageRequest(index, searchTextQuery(search.text, SEARCH_FIELDS, filter), search, {
    title: WHOLE_FIELD_HIGHLIGHT,
    description: WHOLE_FIELD_HIGHLIGHT,
    body: FRAGMENTS_HIGHLIGHT,
    tags: WHOLE_FIELD_HIGHLIGHT,
  });
}

/**
 * One highlight per word, as PostgreSQL's ts_headline marks them: Elasticsearch's unified
 * highlighter marks a matched phrase as one span ("[Dragon anatomy]"), which becomes
 * "[Dragon] [anatomy]" here, so that both engines answer alike.
 */
export function highlightWordByWord(fragments: string[]): string[] {
  const span = new RegExp(`${HIGHLIGHT_START}([^${HIGHLIGHT_END}]*)${HIGHLIGHT_END}`, 'g');
  return fragments.map((fragment) =>
    fragment.replace(span, (_whole, words: string) => HIGHLIGHT_START + words.replace(/(\s+)/g, `${HIGHLIGHT_END}$1${HIGHLIGHT_START}`) + HIGHLIGHT_END),
  );
}

export function readSearchHits(response: estypes.SearchResponse): { hits: Array<{ articleId: number; score: number; highlights: SearchHighlights }>; total: number } {
  const total = totalHits(response);
  const hits = response.hits.hits.map((hit) => {
    const highlight = hit.highlight ?? {};
    const highlights: SearchHighlights = {};
    if (highlight.title) highlights.title = highlightWordByWord(highlight.title);
    if (highlight.description) highlights.description = highlightWordByWord(highlight.description);
    if (highlight.body) highlights.body = highlightWordByWord(highlight.body);
    if (highlight.tags) highlights.tagList = highlightWordByWord([...highlight.tags].sort());
    return { articleId: Number(hit._id), score: hit._score ?? 0, highlights };
  });
  return { hits, total };
}

export const TRENDING_AGGREGATION = 'trending';

export function trendingTagsRequest(index: string, days: number, limit: number): estypes.SearchRequest {
  return {
    index,
    size: 0,
    query: { range: { publishedAt: { gte: `now-${days}d`, lte: 'now' } } },
    aggs: {
      [TRENDING_AGGREGATION]: {
        terms: { field: 'tags.keyword', size: limit, order: [{ _count: 'desc' }, { favorites: 'desc' }, { _key: 'asc' }] },
        aggs: { favorites: { sum: { field: 'favoritesCount' } } },
      },
    },
  };
}

interface TrendingBucket {
  key: string;
  doc_count: number;
  favorites: { value: number | null };
}

export function readTrendingTags(response: estypes.SearchResponse): TrendingTag[] {
  const aggregation = response.aggregations?.[TRENDING_AGGREGATION] as { buckets: TrendingBucket[] } | undefined;
  return (aggregation?.buckets ?? []).map((bucket) => ({
    tag: bucket.key,
    articlesCount: bucket.doc_count,
    favoritesCount: Math.round(bucket.favorites.value ?? 0),
  }));
}

/**
 * The bulk body of sync writes, each with its external version: Elasticsearch applies a write only
 * if its version is above the document's, so an older event never overwrites a newer document,
 * whatever order the writes arrive in. Every article document the engine stores (sync and
 * rebuild alike) is written here, without the engine's own highlight marks.
 */
export function bulkOperations(index: string, operations: SyncOperation[]): Array<estypes.BulkOperationContainer | ArticleDocument> {
  return operations.flatMap((operation): Array<estypes.BulkOperationContainer | ArticleDocument> => {
    const meta = externalVersionMeta(index, String(operation.id), operation.version);
    return operation.kind === 'index' ? [{ index: meta }, storableDocument(operation.document)] : [{ delete: meta }];
  });
}

/**
 * One outcome per operation: a version conflict means a newer version is already there (done); a
 * delete of a missing document is done; anything else is a failure, retried by the queue.
 */
export function readBulkOutcomes(operations: Array<Pick<SyncOperation, 'kind' | 'id'>>, response: estypes.BulkResponse): SyncOutcome[] {
  return operations.map((operation, position) => {
    const item = response.items[position]?.[operation.kind];
    if (!item) return { id: operation.id, result: 'failed', error: 'no answer for this operation' };
    if (item.status >= 200 && item.status < 300) return { id: operation.id, result: 'written' };
    if (item.status === 409) return { id: operation.id, result: 'stale' };
    if (item.status === 404 && operation.kind === 'delete') return { id: operation.id, result: 'written' };
    return { id: operation.id, result: 'failed', error: `${item.status} ${item.error?.type ?? ''} ${item.error?.reason ?? ''}`.trim() };
  });
}

/** A new concrete index name behind `alias`, sortable by creation time. */
export function timestampedIndexName(alias: string, now: Date = new Date()): string {
  return `${alias}-${now.toISOString().replace(/[-:.TZ]/g, '').slice(0, 17)}`;
}
