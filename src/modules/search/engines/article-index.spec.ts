import type { estypes } from '@elastic/elasticsearch';
import type { ArticleDocument, SyncOperation } from '../search-engine';
import { HIGHLIGHT_END, HIGHLIGHT_START } from '../search-text';
import {
  articleIndexSettings,
  articleMappings,
  articleSearchRequest,
  bulkOperations,
  highlightWordByWord,
  readBulkOutcomes,
  readSearchHits,
  readTrendingTags,
  SEARCH_FIELDS,
  timestampedIndexName,
  trendingTagsRequest,
} from './article-index';

const DOCUMENT: ArticleDocument = {
  id: 7,
  slug: 'dragons',
  title: 'Dragons',
  description: 'About dragons',
  body: 'Body',
  tags: ['dragons'],
  author: { id: 1, username: 'alice', image: null },
  favoritesCount: 2,
  publishedAt: '2026-01-01T00:00:00.000Z',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
};

describe('index settings and mapping', () => {
  it('analyse article text with stemming and PostgreSQL’s stop words, on one shard', () => {
    const settings = articleIndexSettings();
    expect(settings.number_of_shards).toBe(1);
    const analyzer = settings.analysis?.analyzer?.article_text as estypes.AnalysisCustomAnalyzer;
    expect(analyzer.filter).toEqual(['article_possessive', 'lowercase', 'asciifolding', 'article_stop', 'article_stemmer']);
    const stop = settings.analysis?.filter?.article_stop as estypes.AnalysisStopTokenFilter;
    expect(stop.stopwords).toEqual(expect.arrayContaining(['the', 'and', 'about']));
  });

  it('map every document field, with keyword subfields for tags and author', () => {
    const mappings = articleMappings();
    expect(mappings.dynamic).toBe('strict');
    const properties = mappings.properties!;
    expect(Object.keys(properties).sort()).toEqual(Object.keys(DOCUMENT).sort());
    expect(properties.title).toEqual({ type: 'text', analyzer: 'article_text' });
    expect(properties.tags).toEqual({ type: 'text', analyzer: 'article_text', fields: { keyword: { type: 'keyword' } } });
    expect((properties.author as estypes.MappingObjectProperty).properties!.username).toEqual({ type: 'text', fields: { keyword: { type: 'keyword' } } });
    expect(properties.publishedAt).toEqual({ type: 'date' });
  });
});

describe('articleSearchRequest', () => {
  it('needs every word (typo-tolerant), filters on exact tag and author, and pages', () => {
    const request = articleSearchRequest('conduit-articles', { text: 'dragon fire', tag: 'dragons', author: 'alice', limit: 10, offset: 20 });
    expect(request).toMatchObject({ index: 'conduit-articles', from: 20, size: 10, track_total_hits: true, _source: false });
    expect(request.query).toEqual({
      bool: {
        must: [
          { multi_match: { query: 'dragon', fields: SEARCH_FIELDS, operator: 'and', fuzziness: 'AUTO', prefix_length: 1, zero_terms_query: 'all' } },
          { multi_match: { query: 'fire', fields: SEARCH_FIELDS, operator: 'and', fuzziness: 'AUTO', prefix_length: 1, zero_terms_query: 'all' } },
        ],
        must_not: [],
        filter: [{ term: { 'tags.keyword': 'dragons' } }, { term: { 'author.username.keyword': 'alice' } }],
      },
    });
    expect(request.sort).toEqual([{ _score: { order: 'desc' } }, { id: { order: 'desc' } }]);
    expect(request.highlight).toMatchObject({ pre_tags: [HIGHLIGHT_START], post_tags: [HIGHLIGHT_END] });
  });

  it('turns phrases, alternatives and exclusions into phrase, should and must_not clauses', () => {
    const request = articleSearchRequest('a', { text: '"fire glands" cats or dogs -cooking', limit: 20, offset: 0 });
    const bool = (request.query as { bool: { must: unknown[]; must_not: unknown[]; filter: unknown[] } }).bool;
    expect(bool.must[0]).toEqual({ multi_match: { query: 'fire glands', type: 'phrase', fields: SEARCH_FIELDS } });
    expect(bool.must[1]).toMatchObject({ bool: { minimum_should_match: 1, should: [{ multi_match: { query: 'cats' } }, { multi_match: { query: 'dogs' } }] } });
    expect(bool.must_not).toEqual([{ multi_match: { query: 'cooking', fields: SEARCH_FIELDS, operator: 'and', zero_terms_query: 'none' } }]);
    expect(bool.filter).toEqual([]);
  });
});

describe('readSearchHits', () => {
  it('reads ids, scores, the total and highlights (tags as tagList)', () => {
    const response = {
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, failed: 0 },
      hits: {
        total: { value: 12, relation: 'eq' },
        hits: [{ _index: 'i', _id: '7', _score: 3.5, highlight: { title: ['x'], tags: ['b', 'a'] } }, { _index: 'i', _id: '9', _score: 1 }],
      },
    } as estypes.SearchResponse;
    expect(readSearchHits(response)).toEqual({
      total: 12,
      hits: [
        { articleId: 7, score: 3.5, highlights: { title: ['x'], tagList: ['a', 'b'] } },
        { articleId: 9, score: 1, highlights: {} },
      ],
    });
  });

  it('mark a matched phrase word by word, as PostgreSQL does (a live Elasticsearch marks it as one span)', () => {
    const [start, end] = [HIGHLIGHT_START, HIGHLIGHT_END];
    expect(highlightWordByWord([`${start}Dragon anatomy${end} for ${start}all${end}`, 'none'])).toEqual([
      `${start}Dragon${end} ${start}anatomy${end} for ${start}all${end}`,
      'none',
    ]);
  });
});

describe('trending tags', () => {
  it('aggregate the period’s articles by tag, ordered by count, then favorites, then name', () => {
    const request = trendingTagsRequest('a', 7, 10);
    expect(request.size).toBe(0);
    expect(request.query).toEqual({ range: { publishedAt: { gte: 'now-7d', lte: 'now' } } });
    expect(request.aggs?.trending).toEqual({
      terms: { field: 'tags.keyword', size: 10, order: [{ _count: 'desc' }, { favorites: 'desc' }, { _key: 'asc' }] },
      aggs: { favorites: { sum: { field: 'favoritesCount' } } },
    });
    const response = {
      aggregations: { trending: { buckets: [{ key: 'dragons', doc_count: 3, favorites: { value: 5 } }, { key: 'cats', doc_count: 1, favorites: { value: null } }] } },
    } as unknown as estypes.SearchResponse;
    expect(readTrendingTags(response)).toEqual([
      { tag: 'dragons', articlesCount: 3, favoritesCount: 5 },
      { tag: 'cats', articlesCount: 1, favoritesCount: 0 },
    ]);
  });
});

describe('bulk writes', () => {
  const operations: SyncOperation[] = [
    { kind: 'index', id: 7, version: 12n, document: DOCUMENT },
    { kind: 'delete', id: 8, version: 13n },
    { kind: 'index', id: 9, version: 14n, document: { ...DOCUMENT, id: 9 } },
    { kind: 'delete', id: 10, version: 15n },
    { kind: 'index', id: 11, version: 16n, document: { ...DOCUMENT, id: 11 } },
  ];

  it('carry external versions', () => {
    expect(bulkOperations('idx', operations.slice(0, 2))).toEqual([
      { index: { _index: 'idx', _id: '7', version: 12, version_type: 'external' } },
      DOCUMENT,
      { delete: { _index: 'idx', _id: '8', version: 13, version_type: 'external' } },
    ]);
  });

  it("keep the engine's own highlight marks out of what it stores, whatever the article's text holds", () => {
    const marked = { ...DOCUMENT, title: `A ${HIGHLIGHT_START}bold${HIGHLIGHT_END} claim`, tags: [`${HIGHLIGHT_END}x`] };
    const [, stored] = bulkOperations('idx', [{ kind: 'index', id: 7, version: 1n, document: marked }]);
    expect(stored).toMatchObject({ title: 'A bold claim', tags: ['x'] });
  });

  it('count a version conflict and a missing document to delete as done, anything else as failed', () => {
    const response = {
      took: 1,
      errors: true,
      items: [
        { index: { _index: 'idx', _id: '7', status: 201 } },
        { delete: { _index: 'idx', _id: '8', status: 404 } },
        { index: { _index: 'idx', _id: '9', status: 409, error: { type: 'version_conflict_engine_exception', reason: 'newer' } } },
        { delete: { _index: 'idx', _id: '10', status: 429, error: { type: 'es_rejected_execution_exception', reason: 'busy' } } },
      ],
    } as estypes.BulkResponse;
    expect(readBulkOutcomes(operations, response)).toEqual([
      { id: 7, result: 'written' },
      { id: 8, result: 'written' },
      { id: 9, result: 'stale' },
      { id: 10, result: 'failed', error: '429 es_rejected_execution_exception busy' },
      { id: 11, result: 'failed', error: 'no answer for this operation' },
    ]);
  });
});

it('names new indexes after the alias and the time, sortably', () => {
  expect(timestampedIndexName('conduit-articles', new Date('2026-12-06T19:49:12.345Z'))).toBe('conduit-articles-20261206194912345');
});
