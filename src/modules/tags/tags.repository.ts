import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/infra/prisma/prisma.service';

@Injectable()
export class TagsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Tags that at least one published article carries, the most used first. */
  async namesInUse(): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<Array<{ name: string }>>`
      SELECT t.name
      FROM tags t
      JOIN article_tags at ON at.tag_id = t.id
      JOIN articles a ON a.id = at.article_id AND a.published_at IS NOT NULL
      GROUP BY t.id, t.name
      ORDER BY count(*) DESC, t.name ASC`;
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
