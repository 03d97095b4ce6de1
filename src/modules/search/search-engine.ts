/**
 * The search port. Two adapters implement it, chosen by configuration (see search.module.ts):
 * PostgreSQL full-text search (the default: the database is the index) and Elasticsearch (when
 * ELASTICSEARCH_NODE is set: an index behind an alias, kept in step by the `search` queue).
 * Both answer the same questions with the same results; only relevance scores differ in scale.
 */
export const SEARCH_ENGINE = Symbol('SearchEngine');

export type SearchEngineKind = 'postgres' | 'elasticsearch' | 'opensearch';

export interface ArticleSearch {
  /** The user's words, validated: quoted phrases, `-word` to exclude, `or` between alternatives. */
  text: string;
  tag?: string;
  author?: string;
  limit: number;
  offset: number;
  /** Count matches up to this many (SEARCH_TOTAL_MAX; unset: all). An exact total of a common word costs as much as ranking them all; the service caps what it reports either way. */
  totalMax?: number;
}

/** Matched words wrapped in HIGHLIGHT_START and HIGHLIGHT_END (see search-text.ts), per field. */
export interface SearchHighlights {
  title?: string[];
  description?: string[];
  body?: string[];
  tagList?: string[];
}

export interface ArticleHit {
  articleId: number;
  score: number;
  highlights: SearchHighlights;
}

export interface ArticleSearchResult {
  hits: ArticleHit[];
  total: number;
}

export interface TrendingTag {
  tag: string;
  /** Articles published in the period that carry the tag. */
  articlesCount: number;
  /** Favorites of those articles. */
  favoritesCount: number;
}

/** What an article's search document holds, read from PostgreSQL. */
export interface ArticleDocument {
  id: number;
  slug: string;
  title: string;
  description: string;
  body: string;
  tags: string[];
  author: { id: number; username: string; image: string | null };
  favoritesCount: number;
  publishedAt: string;
  createdAt: string;
  updatedAt: string;
}

/** One write of the sync, with the external version that orders writes to the same document. */
export type SyncOperation =
  | { kind: 'index'; id: number; version: bigint; document: ArticleDocument }
  | { kind: 'delete'; id: number; version: bigint };

export interface SyncOutcome {
  id: number;
  /** `stale`: the index already holds a newer version, which is as good as done. */
  result: 'written' | 'stale' | 'failed';
  error?: string;
}

export interface IndexedVersion {
  id: number;
  version: bigint;
}

/**
 * The search document of one item of a generated feature (`nest g feature <name> --searchable`):
 * what its `searchDocument` hook answers. `type` is the feature's plural name.
 */
export interface FeatureDocument {
  id: number;
  title: string;
  text: string;
  /** The owner's username. */
  owner: string;
  updatedAt: string;
}

/** One write of a feature's document; `version` (its outbox event id) orders writes to one item. */
export type FeatureDocumentOperation =
  | { kind: 'index'; type: string; id: number; version: bigint; document: FeatureDocument }
  | { kind: 'delete'; type: string; id: number; version: bigint };

export interface FeatureDocumentSearch {
  type: string;
  /** The user's words, in the grammar of ArticleSearch.text. */
  text: string;
  limit: number;
  offset: number;
  /** See ArticleSearch.totalMax. */
  totalMax?: number;
}

export interface FeatureDocumentHit {
  id: number;
  score: number;
  /** Matched words wrapped in HIGHLIGHT_START and HIGHLIGHT_END, per field. */
  highlights: { title?: string[]; text?: string[] };
}

export interface FeatureDocumentSearchResult {
  hits: FeatureDocumentHit[];
  total: number;
}

export interface SearchEngine {
  readonly kind: SearchEngineKind;
  /** Whether documents are written by the sync; false when the database itself is the index. */
  readonly syncsDocuments: boolean;
  /** The index's name, for reports. */
  readonly indexName: string;

  /** Whether the engine answers now (for the readiness probe); never throws. */
  reachable(): Promise<boolean>;
  searchArticles(search: ArticleSearch): Promise<ArticleSearchResult>;
  trendingTags(days: number, limit: number): Promise<TrendingTag[]>;

  /** Applies sync writes in one bulk request; one outcome per operation, never a partial throw. */
  write(operations: SyncOperation[]): Promise<SyncOutcome[]>;
  /** How many documents the index holds. */
  countDocuments(): Promise<number>;
  /** Every document's id and version, in pages. */
  indexedVersions(): AsyncIterable<IndexedVersion[]>;
  /**
   * Builds a fresh index from `documents` and makes it the live one in one step (an alias swap),
   * so searches never see a missing or half-filled index.
   */
  rebuild(documents: AsyncIterable<Array<{ version: bigint; document: ArticleDocument }>>): Promise<{ index: string; documents: number }>;

  /** Searches one feature's documents, most relevant first. */
  searchFeatureDocuments(search: FeatureDocumentSearch): Promise<FeatureDocumentSearchResult>;
  /**
   * Applies feature document writes; one outcome per operation (`id` is the item's), never a
   * partial throw. Both engines write these (the PostgreSQL one into `search_documents`).
   */
  writeFeatureDocuments(operations: FeatureDocumentOperation[]): Promise<SyncOutcome[]>;
}
