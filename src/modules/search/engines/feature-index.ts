import type { estypes } from '@elastic/elasticsearch';
import type { FeatureDocument, FeatureDocumentOperation, FeatureDocumentSearch, FeatureDocumentSearchResult } from '../search-engine';
import { HIGHLIGHT_END, HIGHLIGHT_START } from '../search-text';
import { searchTextQuery } from './article-index';

/**
 * Pure builders of the Elasticsearch requests for generated features' documents (one index for
 * every feature, each document tagged with its feature's `type`), and readers of the answers.
 * Same analysis and search grammar as the articles' index (see article-index.ts).
 */

/** The title counts most, as in the PostgreSQL vector (A for the title, B for the text). */
export const FEATURE_SEARCH_FIELDS = ['title^2', 'text'];

const TEXT = { type: 'text', analyzer: 'article_text' } as const;

export function featureMappings(): estypes.MappingTypeMapping {
  return {
    dynamic: 'strict',
    properties: {
      type: { type: 'keyword' },
      id: { type: 'integer' },
      title: TEXT,
      text: TEXT,
      owner: { type: 'keyword' },
      updatedAt: { type: 'date' },
    },
  };
}

/** One document per feature item: `<type>:<id>`. */
export function featureDocumentId(type: string, id: number): string {
  return `${type}:${id}`;
}

export function featureSearchRequest(index: string, search: FeatureDocumentSearch): estypes.SearchRequest {
  return {
    index,
    from: search.offset,
    size: search.limit,
    track_total_hits: true,
    _source: false,
    query: searchTextQuery(search.text, FEATURE_SEARCH_FIELDS, [{ term: { type: search.type } }]),
    sort: [{ _score: { order: 'desc' } }, { id: { order: 'desc' } }],
    highlight: {
      pre_tags: [HIGHLIGHT_START],
      post_tags: [HIGHLIGHT_END],
      fields: {
        title: { number_of_fragments: 0 },
        text: { fragment_size: 160, number_of_fragments: 2 },
      },
    },
  };
}

export function readFeatureHits(response: estypes.SearchResponse): FeatureDocumentSearchResult {
  const total = typeof response.hits.total === 'number' ? response.hits.total : (response.hits.total?.value ?? 0);
  const hits = response.hits.hits.map((hit) => {
    const highlight = hit.highlight ?? {};
    return {
      id: Number((hit._id ?? '').slice((hit._id ?? '').lastIndexOf(':') + 1)),
      score: hit._score ?? 0,
      highlights: { ...(highlight.title && { title: highlight.title }), ...(highlight.text && { text: highlight.text }) },
    };
  });
  return { hits, total };
}

/** Bulk writes with external versions, as for articles: an older event never overwrites a newer document. */
export function featureBulkOperations(
  index: string,
  operations: FeatureDocumentOperation[],
): Array<estypes.BulkOperationContainer | (FeatureDocument & { type: string })> {
  return operations.flatMap((operation): Array<estypes.BulkOperationContainer | (FeatureDocument & { type: string })> => {
    const meta = { _index: index, _id: featureDocumentId(operation.type, operation.id), version: Number(operation.version), version_type: 'external' as const };
    return operation.kind === 'index' ? [{ index: meta }, { type: operation.type, ...operation.document }] : [{ delete: meta }];
  });
}
