import type { estypes } from '@elastic/elasticsearch';
import { featureDocumentEventType } from '../feature-documents';
import type { FeatureDocument } from '../search-engine';
import { HIGHLIGHT_END, HIGHLIGHT_START } from '../search-text';
import { readBulkOutcomes } from './article-index';
import { FEATURE_SEARCH_FIELDS, featureBulkOperations, featureDocumentId, featureMappings, featureSearchRequest, readFeatureHits } from './feature-index';

const DOCUMENT: FeatureDocument = { id: 7, title: 'Dragons', text: 'About dragons', owner: 'alice', updatedAt: '2026-01-02T00:00:00.000Z' };

describe('feature index requests', () => {
  it('maps every field of a document, strictly, with the type as a keyword', () => {
    const mappings = featureMappings();

    expect(mappings.dynamic).toBe('strict');
    expect(Object.keys(mappings.properties ?? {}).sort()).toEqual(['id', 'owner', 'text', 'title', 'type', 'updatedAt']);
    expect(mappings.properties?.type).toEqual({ type: 'keyword' });
  });

  it("searches one feature's documents, title first, with the articles' search grammar", () => {
    const request = featureSearchRequest('features', { type: 'bookmarks', text: 'dragon -egg', limit: 5, offset: 10 });
    const query = request.query?.bool;

    expect(request).toMatchObject({ index: 'features', from: 10, size: 5, track_total_hits: true });
    expect(query?.filter).toEqual([{ term: { type: 'bookmarks' } }]);
    expect(query?.must).toEqual([expect.objectContaining({ multi_match: expect.objectContaining({ query: 'dragon', fields: FEATURE_SEARCH_FIELDS }) })]);
    expect(query?.must_not).toEqual([expect.objectContaining({ multi_match: expect.objectContaining({ query: 'egg', fields: FEATURE_SEARCH_FIELDS }) })]);
    expect(Object.keys(request.highlight?.fields ?? {})).toEqual(['title', 'text']);
  });

  it('writes each item under <type>:<id> with its event id as external version', () => {
    const body = featureBulkOperations('features', [
      { kind: 'index', type: 'bookmarks', id: 7, version: 41n, document: DOCUMENT },
      { kind: 'delete', type: 'bookmarks', id: 8, version: 42n },
    ]);

    expect(body).toEqual([
      { index: { _index: 'features', _id: 'bookmarks:7', version: 41, version_type: 'external' } },
      { type: 'bookmarks', ...DOCUMENT },
      { delete: { _index: 'features', _id: 'bookmarks:8', version: 42, version_type: 'external' } },
    ]);
    expect(featureDocumentId('reading-lists', 3)).toBe('reading-lists:3');
  });

  it('reads hits back as item ids with their score and highlights, and bulk conflicts as stale', () => {
    const response = {
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, failed: 0 },
      hits: {
        total: { value: 12, relation: 'eq' },
        hits: [{ _index: 'features', _id: 'reading-lists:31', _score: 1.5, highlight: { title: [`${HIGHLIGHT_START}Dragons${HIGHLIGHT_END}`] } }],
      },
    } as estypes.SearchResponse;
    const bulk = { took: 1, errors: true, items: [{ index: { _index: 'features', status: 409 } }] } as estypes.BulkResponse;

    expect(readFeatureHits(response)).toEqual({ total: 12, hits: [{ id: 31, score: 1.5, highlights: { title: [`${HIGHLIGHT_START}Dragons${HIGHLIGHT_END}`] } }] });
    expect(readBulkOutcomes([{ kind: 'index', id: 31 }], bulk)).toEqual([{ id: 31, result: 'stale' }]);
  });

  it("recognises a feature's search events by name, and nothing else", () => {
    expect(featureDocumentEventType('bookmarks.changed')).toBe('bookmarks');
    expect(featureDocumentEventType('reading-lists.deleted')).toBe('reading-lists');
    expect(featureDocumentEventType('index-article')).toBeUndefined();
    expect(featureDocumentEventType('Bookmarks.changed')).toBeUndefined();
    expect(featureDocumentEventType('bookmarks.created')).toBeUndefined();
  });
});
