import { toProfile } from '@/modules/profiles/profile.mapper';
import type { ArticleDto, ArticleListItemDto } from './dto/article-response.dto';
import type { CoverImage } from '@/modules/uploads/upload.types';
import type { ArticleListRow, ArticleRow } from './articles.repository';

/**
 * An article as an anonymous reader sees it: `favorited` and `author.following` are false here,
 * and ArticlesViewerOverlay sets them for a signed-in viewer.
 */
export function toArticleListItem(row: ArticleListRow): ArticleListItemDto {
  return {
    slug: row.slug,
    title: row.title,
    description: row.description,
    tagList: row.tags.map((link) => link.tag.name).sort(),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    favorited: false,
    favoritesCount: row.favoritesCount,
    author: toProfile(row.author, false),
    // Conduit extension: a scheduled article (seen only by its author) says when it will appear.
    ...(row.publishedAt === null && row.publishAt && { publishAt: row.publishAt.toISOString() }),
    // Conduit extension, absent (not null) without a cover, so that spec clients see the spec's shape.
    ...(row.coverImage !== null && { coverImage: row.coverImage as unknown as CoverImage }),
  };
}

export function toArticle(row: ArticleRow): ArticleDto {
  return { ...toArticleListItem(row), body: row.body };
}
