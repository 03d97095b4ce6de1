import type { estypes } from '@elastic/elasticsearch';
import type { FeatureDocument, FeatureDocumentOperation, FeatureDocumentSearch, FeatureDocumentSearchResult } from '../search-engine';
import { externalVersionMeta, FRAGMENTS_HIGHLIGHT, highlightWordByWord, rankedPageRequest, searchTextQuery, totalHits, WHOLE_FIELD_HIGHLIGHT } from './article-index';
import { withoutHighlightMarks } from '../search-text';

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
      // The feature (`bookmarks`): every search filters on it.
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
  return rankedPageRequest(index, searchTextQuery(search.text, FEATURE_SEARCH_FIELDS, [{ term: { type: search.type } }]), search, {
    title: WHOLE_FIELD_HIGHLIGHT,
    text: FRAGMENTS_HIGHLIGHT,
  });
}

export function readFeatureHits(response: estypes.SearchResponse): FeatureDocumentSearchResult {
  const total = totalHits(response);
  const hits = response.hits.hits.map((hit) => {
    const highlight = hit.highlight ?? {};
    return {
      id: Number((hit._id ?? '').slice((hit._id ?? '').lastIndexOf(':') + 1)),
      score: hit._score ?? 0,
      highlights: { ...(highlight.title && { title: highlightWordByWord(highlight.title) }), ...(highlight.text && { text: highlightWordByWord(highlight.text) }) },
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
    const meta = externalVersionMeta(index, featureDocumentId(operation.type, operation.id), operation.version);
    if (operation.kind === 'delete') return [{ delete: meta }];
    // Elasticsearch highlights the stored text: it must not hold the engine's own marks.
    const { title, text } = operation.document;
    return [{ index: meta }, { type: operation.type, ...operation.document, title: withoutHighlightMarks(title), text: withoutHighlightMarks(text) }];
  });
}
