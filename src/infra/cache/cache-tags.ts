/**
 * Every invalidation tag, and so the whole contract between writes and cached reads.
 *
 * | cached response                    | depends on tags                        |
 * | ---------------------------------- | -------------------------------------- |
 * | GET /api/articles (any filters)    | articles, profiles                     |
 * | GET /api/articles/:slug            | article:<slug>, profiles               |
 * | GET /api/articles/:slug/comments   | comments:<slug>, profiles              |
 * | GET /api/tags                      | tags                                   |
 * | GET /api/profiles/:username        | user:<username>                        |
 *
 * | write                                   | bumps                                                    |
 * | --------------------------------------- | -------------------------------------------------------- |
 * | create article                          | articles, tags, article:<slug>                           |
 * | update article (any field, coverImage)  | articles, tags, article:<old slug>, article:<new slug>, comments:<old slug> |
 * | delete article                          | articles, tags, article:<slug>, comments:<slug>          |
 * | favorite / unfavorite                   | articles, article:<slug>                                 |
 * | add / delete comment                    | comments:<slug>                                          |
 * | update user (username, bio, image, ...) | profiles, articles, user:<old username>, user:<new username> |
 * |   (an uploaded avatar is `image` given as an upload id: the same write, the same tags)      |
 * | image upload processed (worker)         | nothing: it shows only once a user or article uses it |
 * | follow / unfollow                       | nothing shared: `following` is laid over per viewer       |
 *
 * `favorited` and `following` are never cached: overlays add them per viewer from indexed
 * lookups. Profile changes are rare, so they retire every entry that shows a profile (the
 * `profiles` tag) instead of tracking which authors each entry embeds.
 */
export const CacheTags = {
  articles: 'articles',
  tags: 'tags',
  profiles: 'profiles',
  article: (slug: string) => `article:${slug}`,
  comments: (slug: string) => `comments:${slug}`,
  user: (username: string) => `user:${username}`,
} as const;
