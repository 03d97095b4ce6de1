import { CommentCacheTags } from "@/modules/comments/comments.cache-tags";
import { ProfileCacheTags } from "@/modules/profiles/profiles.cache-tags";
import { TagCacheTags } from "@/modules/tags/tags.cache-tags";

/**
 * The cache contract of articles: the tags their cached reads carry, and what each write retires.
 *
 * | cached response                      | depends on tags                                                |
 * | ------------------------------------ | -------------------------------------------------------------- |
 * | GET /api/articles (any filters)      | articles, profiles                                             |
 * | GET /api/articles/:slug              | article:<slug>, profiles                                       |
 * | GET /api/articles/feed (per viewer)  | articles, profiles, follows-of:<viewer>, favorites-of:<viewer> |
 * | a viewer's flags on any of the above | the entry's tags, favorites-of:<viewer>, follows-of:<viewer>   |
 *
 * Shared entries never hold `favorited` or `following`: ArticlesViewerOverlay lays them over per
 * viewer, so the viewer's own favorites retire only the viewer's tag.
 */
export const ArticleCacheTags = {
  list: "articles",
  one: (slug: string) => `article:${slug}`,
  /** What the viewer has favorited: their `favorited` flags and their feed. */
  favoritesOf: (userId: number) => `favorites-of:${userId}`,
} as const;

/** The tags each write of an article retires (the tag list and the article's comments change with it). */
export const ArticleWritesRetire = {
  created: (slug: string) => [
    ArticleCacheTags.list,
    TagCacheTags.all,
    ArticleCacheTags.one(slug),
  ],
  /** Any field, the cover image included; a new title moves the article to a new slug. */
  updated: (oldSlug: string, newSlug: string) => [
    ArticleCacheTags.list,
    TagCacheTags.all,
    ArticleCacheTags.one(oldSlug),
    ArticleCacheTags.one(newSlug),
    CommentCacheTags.ofArticle(oldSlug),
  ],
  deleted: (slug: string) => [
    ArticleCacheTags.list,
    TagCacheTags.all,
    ArticleCacheTags.one(slug),
    CommentCacheTags.ofArticle(slug),
  ],
  /** Favorite and unfavorite: the count everyone sees, and the viewer's own flags and feed. */
  favorited: (slug: string, viewerId: number) => [
    ArticleCacheTags.list,
    ArticleCacheTags.one(slug),
    ArticleCacheTags.favoritesOf(viewerId),
  ],
} as const;

/** The tags an article list or page carries: the articles shown and the authors embedded in them. */
export const articleReadTags = {
  list: () => [ArticleCacheTags.list, ProfileCacheTags.all],
  one: (slug: string) => [ArticleCacheTags.one(slug), ProfileCacheTags.all],
  feed: (viewerId: number) => [
    ArticleCacheTags.list,
    ProfileCacheTags.all,
    ProfileCacheTags.followsOf(viewerId),
    ArticleCacheTags.favoritesOf(viewerId),
  ],
} as const;
