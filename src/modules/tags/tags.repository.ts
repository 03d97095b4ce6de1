import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { ReadReplicas } from '@/infra/prisma/read-replicas';

/** How many of the latest published articles decide which tags count as popular. */
const POPULARITY_WINDOW = 1_000;
/** The most tags GET /api/tags lists: one answer stays small however many tags exist. */
export const TAG_LIST_MAX = 100;

@Injectable()
export class TagsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly replicas: ReadReplicas,
  ) {}

  /**
   * At most TAG_LIST_MAX tags that published articles carry: the most used among the latest
   * articles first (then by name), then, if there is room, other tags in use by name. Popularity is
   * counted over a recent window so that the query stays a few index probes (milliseconds) however
   * many articles there are, where a full count takes ~100 ms at 100,000 articles; the rest is read
   * in name order from the index and stops at the limit, so many tags cost no more than a few.
   */
  async namesInUse(): Promise<string[]> {
    const rows = await this.replicas.read((db) => db.$queryRaw<Array<{ name: string }>>`
      WITH recent AS (
        SELECT id FROM articles WHERE published_at IS NOT NULL
        ORDER BY published_at DESC, id DESC LIMIT ${POPULARITY_WINDOW}
      ), popular AS (
        SELECT t.id, t.name, count(*) AS uses FROM article_tags at
        JOIN recent r ON r.id = at.article_id JOIN tags t ON t.id = at.tag_id
        GROUP BY t.id, t.name ORDER BY uses DESC, t.name ASC LIMIT ${TAG_LIST_MAX}
      ), others AS (
        SELECT t.name FROM tags t
        CROSS JOIN LATERAL (
          SELECT 1 FROM article_tags at JOIN articles a ON a.id = at.article_id
          WHERE at.tag_id = t.id AND a.published_at IS NOT NULL LIMIT 1
        ) AS in_use
        WHERE NOT EXISTS (SELECT 1 FROM popular p WHERE p.id = t.id)
        ORDER BY t.name ASC LIMIT ${TAG_LIST_MAX} - (SELECT count(*) FROM popular)
      )
      SELECT name FROM (
        (SELECT name, uses, 0 AS part FROM popular)
        UNION ALL (SELECT name, 0, 1 FROM others)
      ) listed
      ORDER BY part, uses DESC, name ASC`);
    return rows.map((row) => row.name);
  }

  async idByName(name: string): Promise<number | undefined> {
    return (await this.replicas.read((db) => db.tag.findUnique({ where: { name }, select: { id: true } })))?.id;
  }

  /** Those of `names` that no tag has yet. */
  async missing(names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const existing = await this.prisma.tag.findMany({ where: { name: { in: names } }, select: { name: true } });
    const found = new Set(existing.map((tag) => tag.name));
    return names.filter((name) => !found.has(name));
  }

  /**
   * The ids of `names`, creating the tags that do not exist yet (two queries whatever the count).
   * Runs outside the article's transaction on purpose: a tag left by a failed write is harmless,
   * since only tags in use are ever listed.
   */
  async ensure(names: string[]): Promise<number[]> {
    if (names.length === 0) return [];
    await this.prisma.tag.createMany({ data: names.map((name) => ({ name })), skipDuplicates: true });
    const rows = await this.prisma.tag.findMany({ where: { name: { in: names } }, select: { id: true } });
    return rows.map((row) => row.id);
  }
}
