import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/infra/prisma/prisma.service';

/** How many of the latest published articles decide which tags count as popular. */
const POPULARITY_WINDOW = 1_000;

@Injectable()
export class TagsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Every tag that a published article carries, the most used among the latest articles first,
   * then by name. Popularity is counted over a recent window so that the query stays a few index
   * probes (milliseconds) however many articles there are, where a full count takes ~100 ms at
   * 100,000 articles.
   */
  async namesInUse(): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<Array<{ name: string }>>`
      WITH recent AS (
        SELECT id FROM articles WHERE published_at IS NOT NULL
        ORDER BY published_at DESC, id DESC LIMIT ${POPULARITY_WINDOW}
      ), recent_uses AS (
        SELECT at.tag_id, count(*) AS uses FROM article_tags at JOIN recent r ON r.id = at.article_id GROUP BY at.tag_id
      )
      SELECT t.name FROM tags t
      CROSS JOIN LATERAL (
        SELECT 1 FROM article_tags at JOIN articles a ON a.id = at.article_id
        WHERE at.tag_id = t.id AND a.published_at IS NOT NULL LIMIT 1
      ) AS in_use
      LEFT JOIN recent_uses ru ON ru.tag_id = t.id
      ORDER BY coalesce(ru.uses, 0) DESC, t.name ASC`;
    return rows.map((row) => row.name);
  }

  async idByName(name: string): Promise<number | undefined> {
    return (await this.prisma.tag.findUnique({ where: { name }, select: { id: true } }))?.id;
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
