import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '@/config/environment';
import { Prisma } from '@/generated/prisma/client';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { ReadReplicas } from '@/infra/prisma/read-replicas';
import { ArticleDocuments } from '@/modules/articles/article-documents';
import type {
  ArticleDocument,
  ArticleSearch,
  ArticleSearchResult,
  FeatureDocumentOperation,
  FeatureDocumentSearch,
  FeatureDocumentSearchResult,
  IndexedVersion,
  SearchEngine,
  SearchHighlights,
  SyncOperation,
  SyncOutcome,
  TrendingTag,
} from '../search-engine';
import { FRAGMENT_SEPARATOR, hasMatch, HIGHLIGHT_END, HIGHLIGHT_MARKS, HIGHLIGHT_START } from '../search-text';

const WHOLE_FIELD = `StartSel=${HIGHLIGHT_START}, StopSel=${HIGHLIGHT_END}, HighlightAll=true`;
const BODY_FRAGMENTS = `StartSel=${HIGHLIGHT_START}, StopSel=${HIGHLIGHT_END}, MaxFragments=2, MaxWords=25, MinWords=8, FragmentDelimiter=${FRAGMENT_SEPARATOR}`;
const SEARCH_INDEX = 'articles_search_vector_idx';

interface HitRow {
  total: number;
  id: number | null;
  score: number | null;
  title: string | null;
  description: string | null;
  body: string | null;
  tags: string[] | null;
}

interface FeatureHitRow {
  total: number;
  id: number | null;
  score: number | null;
  title: string | null;
  text: string | null;
}

/**
 * PostgreSQL full-text search, the default engine: `articles.search_vector` is a generated,
 * weighted tsvector (title and tags A/B, description B, body C) under a GIN index, so the
 * database is the index and there is nothing to sync. Queries use `websearch_to_tsquery`,
 * ranking `ts_rank`, and `ts_headline` for the highlights of the page's rows only.
 *
 * Generated features' documents are the exception: the `search` queue writes them into
 * `search_documents` (a feature's table has no vector of its own), where the same kind of query
 * reads them.
 */
@Injectable()
export class PostgresSearchEngine implements SearchEngine {
  readonly kind = 'postgres';
  readonly syncsDocuments = false;
  readonly indexName = SEARCH_INDEX;

  private readonly statementTimeoutMs: number;

  constructor(
    private readonly prisma: PrismaService,
    private readonly replicas: ReadReplicas,
    private readonly documents: ArticleDocuments,
    @Inject(ConfigService) config: ConfigService<Environment, true>,
  ) {
    this.statementTimeoutMs = config.get('SEARCH_STATEMENT_TIMEOUT_MS', { infer: true });
  }

  /**
   * Runs a search query under the search's own statement timeout (SEARCH_STATEMENT_TIMEOUT_MS,
   * shorter than the API's), set for its transaction only. The transaction only reads, so on the
   * search routes it may run on a replica (see ReadReplicas).
   */
  private withSearchTimeout<T>(query: (db: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    return this.replicas.read((client) =>
      client.$transaction(
        async (db) => {
          await db.$executeRaw`SELECT set_config('statement_timeout', ${String(this.statementTimeoutMs)}, true)`;
          return query(db);
        },
        { timeout: this.statementTimeoutMs + 5_000 },
      ),
    );
  }

  async searchArticles(search: ArticleSearch): Promise<ArticleSearchResult> {
    const filters = [Prisma.sql`a.search_vector @@ q.query`, Prisma.sql`a.published_at IS NOT NULL`];
    if (search.tag !== undefined) {
      filters.push(Prisma.sql`EXISTS (SELECT 1 FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id AND t.name = ${search.tag})`);
    }
    if (search.author !== undefined) {
      filters.push(Prisma.sql`a.author_id = (SELECT id FROM users WHERE username = ${search.author})`);
    }
    const rows = await this.withSearchTimeout((db) => db.$queryRaw<HitRow[]>`
      WITH q AS (SELECT websearch_to_tsquery('english', ${search.text}) AS query),
      matches AS (
        SELECT a.id, ts_rank(a.search_vector, q.query) AS score FROM articles a, q
        WHERE ${Prisma.join(filters, ' AND ')}
      ),
      page AS (SELECT id, score FROM matches ORDER BY score DESC, id DESC LIMIT ${search.limit} OFFSET ${search.offset})
      SELECT counted.total, hit.* FROM (SELECT count(*)::int AS total FROM (SELECT 1 FROM matches LIMIT ${search.totalMax}) AS capped) AS counted
      LEFT JOIN LATERAL (
        SELECT page.id, page.score::float8 AS score,
               ts_headline('english', translate(a.title, ${HIGHLIGHT_MARKS}, ''), q.query, ${WHOLE_FIELD}) AS title,
               ts_headline('english', translate(a.description, ${HIGHLIGHT_MARKS}, ''), q.query, ${WHOLE_FIELD}) AS description,
               ts_headline('english', translate(a.body, ${HIGHLIGHT_MARKS}, ''), q.query, ${BODY_FRAGMENTS}) AS body,
               ARRAY(SELECT ts_headline('english', translate(t.name, ${HIGHLIGHT_MARKS}, ''), q.query, ${WHOLE_FIELD})
                     FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id ORDER BY t.name) AS tags
        FROM page JOIN articles a ON a.id = page.id CROSS JOIN q
      ) AS hit ON true
      ORDER BY hit.score DESC, hit.id DESC`);
    const total = rows[0]?.total ?? 0;
    const hits = rows
      .filter((row) => row.id !== null)
      .map((row) => ({ articleId: row.id!, score: row.score!, highlights: highlightsOf(row) }));
    return { hits, total };
  }

  trendingTags(days: number, limit: number): Promise<TrendingTag[]> {
    return this.replicas.read((db) => db.$queryRaw<TrendingTag[]>`
      SELECT t.name AS tag, count(*)::int AS "articlesCount", coalesce(sum(a.favorites_count), 0)::int AS "favoritesCount"
      FROM articles a JOIN article_tags at ON at.article_id = a.id JOIN tags t ON t.id = at.tag_id
      WHERE a.published_at >= now() - make_interval(days => ${days}::int) AND a.published_at <= now()
      GROUP BY t.name
      ORDER BY "articlesCount" DESC, "favoritesCount" DESC, t.name ASC
      LIMIT ${limit}`);
  }

  /** The generated column is the index: every write is already there. */
  write(operations: SyncOperation[]): Promise<SyncOutcome[]> {
    return Promise.resolve(operations.map((operation) => ({ id: operation.id, result: 'written' as const })));
  }

  async searchFeatureDocuments(search: FeatureDocumentSearch): Promise<FeatureDocumentSearchResult> {
    const rows = await this.withSearchTimeout((db) => db.$queryRaw<FeatureHitRow[]>`
      WITH q AS (SELECT websearch_to_tsquery('english', ${search.text}) AS query),
      matches AS (
        SELECT d.id, ts_rank(d.search_vector, q.query) AS score FROM search_documents d, q
        WHERE d.type = ${search.type} AND NOT d.deleted AND d.search_vector @@ q.query
      ),
      page AS (SELECT id, score FROM matches ORDER BY score DESC, id DESC LIMIT ${search.limit} OFFSET ${search.offset})
      SELECT counted.total, hit.* FROM (SELECT count(*)::int AS total FROM (SELECT 1 FROM matches LIMIT ${search.totalMax}) AS capped) AS counted
      LEFT JOIN LATERAL (
        SELECT page.id, page.score::float8 AS score,
               ts_headline('english', translate(d.title, ${HIGHLIGHT_MARKS}, ''), q.query, ${WHOLE_FIELD}) AS title,
               ts_headline('english', translate(d.text, ${HIGHLIGHT_MARKS}, ''), q.query, ${BODY_FRAGMENTS}) AS text
        FROM page JOIN search_documents d ON d.type = ${search.type} AND d.id = page.id CROSS JOIN q
      ) AS hit ON true
      ORDER BY hit.score DESC, hit.id DESC`);
    const hits = rows
      .filter((row) => row.id !== null)
      .map((row) => {
        const title = row.title && hasMatch(row.title) ? [row.title] : undefined;
        const text = (row.text ?? '').split(FRAGMENT_SEPARATOR).filter(hasMatch);
        return { id: row.id!, score: row.score!, highlights: { ...(title && { title }), ...(text.length > 0 && { text }) } };
      });
    return { hits, total: rows[0]?.total ?? 0 };
  }

  /**
   * One upsert for the whole batch; a row is replaced only by a higher version, and a delete
   * leaves a tombstone, so a late or repeated event is a no-op (`stale`).
   */
  async writeFeatureDocuments(operations: FeatureDocumentOperation[]): Promise<SyncOutcome[]> {
    // The highest version per item: one statement cannot write the same row twice.
    const latest = new Map<string, FeatureDocumentOperation>();
    for (const operation of operations) {
      const key = `${operation.type}:${operation.id}`;
      const known = latest.get(key);
      if (!known || known.version < operation.version) latest.set(key, operation);
    }
    const rows = [...latest.values()];
    try {
      const written = await this.prisma.$queryRaw<Array<{ type: string; id: number }>>`
        INSERT INTO search_documents (type, id, version, title, text, owner, updated_at, deleted)
        SELECT * FROM unnest(
          ${rows.map((row) => row.type)}::text[], ${rows.map((row) => row.id)}::int[], ${rows.map((row) => row.version.toString())}::bigint[],
          ${rows.map((row) => (row.kind === 'index' ? row.document.title : ''))}::text[],
          ${rows.map((row) => (row.kind === 'index' ? row.document.text : ''))}::text[],
          ${rows.map((row) => (row.kind === 'index' ? row.document.owner : ''))}::text[],
          ${rows.map((row) => (row.kind === 'index' ? row.document.updatedAt : null))}::timestamptz[],
          ${rows.map((row) => row.kind === 'delete')}::boolean[])
        ON CONFLICT (type, id) DO UPDATE SET
          version = EXCLUDED.version, title = EXCLUDED.title, text = EXCLUDED.text, owner = EXCLUDED.owner,
          updated_at = EXCLUDED.updated_at, deleted = EXCLUDED.deleted
        WHERE search_documents.version < EXCLUDED.version
        RETURNING type, id`;
      const done = new Set(written.map((row) => `${row.type}:${row.id}`));
      return operations.map((operation) => ({ id: operation.id, result: done.has(`${operation.type}:${operation.id}`) && latest.get(`${operation.type}:${operation.id}`) === operation ? 'written' : 'stale' }));
    } catch (error) {
      return operations.map((operation) => ({ id: operation.id, result: 'failed' as const, error: (error as Error).message }));
    }
  }

  /** The database is the index: its own readiness indicator reports it. */
  reachable(): Promise<boolean> {
    return Promise.resolve(true);
  }

  async countDocuments(): Promise<number> {
    const [row] = await this.prisma.$queryRaw<Array<{ count: number }>>`
      SELECT count(*)::int AS count FROM articles WHERE published_at IS NOT NULL AND search_vector IS NOT NULL`;
    return row.count;
  }

  indexedVersions(): AsyncIterable<IndexedVersion[]> {
    return this.documents.publishedVersions();
  }

  /**
   * The vectors cannot be stale (they are generated); a rebuild sets right any drifted tags text
   * and rebuilds the GIN index concurrently, so searches keep working meanwhile.
   */
  async rebuild(_documents: AsyncIterable<Array<{ version: bigint; document: ArticleDocument }>>): Promise<{ index: string; documents: number }> {
    await this.documents.repairTagsText();
    await this.prisma.$executeRawUnsafe(`REINDEX INDEX CONCURRENTLY "${SEARCH_INDEX}"`);
    return { index: SEARCH_INDEX, documents: await this.countDocuments() };
  }
}

function highlightsOf(row: HitRow): SearchHighlights {
  const highlights: SearchHighlights = {};
  if (row.title && hasMatch(row.title)) highlights.title = [row.title];
  if (row.description && hasMatch(row.description)) highlights.description = [row.description];
  const fragments = (row.body ?? '').split(FRAGMENT_SEPARATOR).filter(hasMatch);
  if (fragments.length > 0) highlights.body = fragments;
  const tags = (row.tags ?? []).filter(hasMatch);
  if (tags.length > 0) highlights.tagList = tags;
  return highlights;
}
