import { Injectable, Module } from '@nestjs/common';
import { PrismaService } from '@/infra/prisma/prisma.service';
import type { ArticleDocument, IndexedVersion } from '@/modules/search/search-engine';

interface DocumentRow {
  id: number;
  slug: string;
  title: string;
  description: string;
  body: string;
  tags: string[];
  author_id: number;
  username: string;
  image: string | null;
  favorites_count: number;
  published_at: Date | null;
  created_at: Date;
  updated_at: Date;
  search_version: bigint;
}

/** An article as the search index should hold it: its document, or null while it is not published. */
export interface ArticleState {
  id: number;
  version: bigint;
  document: ArticleDocument | null;
}

const PAGE = 2_000;

/**
 * Articles as a search index holds them, read by the articles feature that owns their tables (as
 * a generated `--searchable` feature provides its documents): documents by id (one query, whatever
 * the number), and every published article's version, in id order. The search feature builds,
 * checks and repairs its index from these alone.
 */
@Injectable()
export class ArticleDocuments {
  constructor(private readonly prisma: PrismaService) {}

  /** The current state of each of `ids` that still exists. */
  async states(ids: number[]): Promise<ArticleState[]> {
    if (ids.length === 0) return [];
    const rows = await this.prisma.$queryRaw<DocumentRow[]>`
      SELECT a.id, a.slug, a.title, a.description, a.body, a.author_id, u.username, u.image, a.favorites_count,
             a.published_at, a.created_at, a.updated_at, a.search_version,
             ARRAY(SELECT t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id ORDER BY t.name) AS tags
      FROM articles a JOIN users u ON u.id = a.author_id
      WHERE a.id = ANY(${ids}::int[])`;
    return rows.map(toState);
  }

  /** Every published article's document with its version, in pages of ids in order. */
  async *publishedDocuments(): AsyncIterable<Array<{ version: bigint; document: ArticleDocument }>> {
    let after = 0;
    for (;;) {
      const ids = await this.prisma.$queryRaw<Array<{ id: number }>>`
        SELECT id FROM articles WHERE published_at IS NOT NULL AND id > ${after} ORDER BY id LIMIT ${PAGE}`;
      if (ids.length === 0) return;
      const states = await this.states(ids.map((row) => row.id));
      yield states.flatMap((state) => (state.document ? [{ version: state.version, document: state.document }] : []));
      after = ids[ids.length - 1].id;
    }
  }

  /** Every published article's id and search version, in pages of ids in order. */
  async *publishedVersions(): AsyncIterable<IndexedVersion[]> {
    let after = 0;
    for (;;) {
      const rows = await this.prisma.$queryRaw<Array<{ id: number; version: bigint }>>`
        SELECT id, search_version AS version FROM articles
        WHERE published_at IS NOT NULL AND id > ${after} ORDER BY id LIMIT ${PAGE * 5}`;
      if (rows.length === 0) return;
      yield rows;
      after = rows[rows.length - 1].id;
    }
  }

  async countPublished(): Promise<number> {
    const [row] = await this.prisma.$queryRaw<Array<{ count: number }>>`
      SELECT count(*)::int AS count FROM articles WHERE published_at IS NOT NULL`;
    return row.count;
  }

  /**
   * Articles whose `tags_text` (kept by a trigger on article_tags) disagrees with their tags, set
   * right; returns how many there were. Only a manual change to the database can cause one.
   */
  async repairTagsText(): Promise<number> {
    return this.prisma.$executeRaw`
      UPDATE articles a SET tags_text = computed.tags_text
      FROM (SELECT a2.id, coalesce(string_agg(t.name, ' ' ORDER BY t.name), '') AS tags_text
            FROM articles a2 LEFT JOIN article_tags at ON at.article_id = a2.id LEFT JOIN tags t ON t.id = at.tag_id
            GROUP BY a2.id) AS computed
      WHERE computed.id = a.id AND computed.tags_text IS DISTINCT FROM a.tags_text`;
  }
}

function toState(row: DocumentRow): ArticleState {
  const document: ArticleDocument | null = row.published_at
    ? {
        id: row.id,
        slug: row.slug,
        title: row.title,
        description: row.description,
        body: row.body,
        tags: row.tags,
        author: { id: row.author_id, username: row.username, image: row.image },
        favoritesCount: row.favorites_count,
        publishedAt: row.published_at.toISOString(),
        createdAt: row.created_at.toISOString(),
        updatedAt: row.updated_at.toISOString(),
      }
    : null;
  return { id: row.id, version: BigInt(row.search_version), document };
}

/** ArticleDocuments alone (it needs only the database), for the search feature in every process. */
@Module({
  providers: [ArticleDocuments],
  exports: [ArticleDocuments],
})
export class ArticleDocumentsModule {}
