import { ProfileCacheTags } from "@/modules/profiles/profiles.cache-tags";

/**
 * The cache contract of comments.
 *
 * | cached response                  | depends on tags            |
 * | -------------------------------- | -------------------------- |
 * | GET /api/articles/:slug/comments | comments:<slug>, profiles  |
 *
 * Adding or deleting a comment retires `comments:<slug>`; so do an update (a new slug) and a
 * deletion of the article (see ArticleWritesRetire). The `following` flags are laid over per viewer.
 */
export const CommentCacheTags = {
  ofArticle: (slug: string) => `comments:${slug}`,
} as const;

export const commentReadTags = (slug: string) => [
  CommentCacheTags.ofArticle(slug),
  ProfileCacheTags.all,
];
