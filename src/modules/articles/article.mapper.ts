import type { ProfileDto } from '@/modules/profiles/dto/profile-response.dto';
import { toProfile } from '@/modules/profiles/profile.mapper';
import type { ArticleDto, ArticleListItemDto } from './dto/article-response.dto';
import type { CoverImage } from '@/modules/uploads/upload.types';
import type { ArticleListRow, ArticleRow } from './articles.repository';

/** How the viewer relates to the articles being shown. */
export interface ArticleViewerContext {
  authors: Map<number, ProfileDto>;
  favorited: Set<number>;
}

export function toArticleListItem(row: ArticleListRow, context: ArticleViewerContext): ArticleListItemDto {
  return {
    slug: row.slug,
    title: row.title,
    description: row.description,
    tagList: row.tags.map((link) => link.tag.name).sort(),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    favorited: context.favorited.has(row.id),
    favoritesCount: row.favoritesCount,
    author: context.authors.get(row.author.id) ?? toProfile(row.author, false),
    // Conduit extension: a scheduled article (seen only by its author) says when it will appear.
    ...(row.publishedAt === null && row.publishAt && { publishAt: row.publishAt.toISOString() }),
    // Conduit extension, absent (not null) without a cover, so that spec clients see the spec's shape.
    ...(row.coverImage !== null && { coverImage: row.coverImage as unknown as CoverImage }),
  };
}

export function toArticle(row: ArticleRow, context: ArticleViewerContext): ArticleDto {
  return { ...toArticleListItem(row, context), body: row.body };
}
