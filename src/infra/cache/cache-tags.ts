/**
 * Every invalidation tag, and so the whole contract between writes and cached reads.
 *
 * | cached response                      | depends on tags                                                |
 * | ------------------------------------ | -------------------------------------------------------------- |
 * | GET /api/articles (any filters)      | articles, profiles                                             |
 * | GET /api/articles/:slug              | article:<slug>, profiles                                       |
 * | GET /api/articles/:slug/comments     | comments:<slug>, profiles                                      |
 * | GET /api/tags                        | tags                                                           |
 * | GET /api/profiles/:username          | user:<username>                                                |
 * | GET /api/articles/feed (per viewer)  | articles, profiles, follows-of:<viewer>, favorites-of:<viewer> |
 * | a viewer's flags on any of the above | the entry's tags, favorites-of:<viewer>, follows-of:<viewer>   |
 *
 * | write                                   | bumps                                                                       |
 * | --------------------------------------- | --------------------------------------------------------------------------- |
 * | create article                          | articles, tags, article:<slug>                                              |
 * | update article (any field, coverImage)  | articles, tags, article:<old slug>, article:<new slug>, comments:<old slug> |
 * | delete article                          | articles, tags, article:<slug>, comments:<slug>                             |
 * | favorite / unfavorite                   | articles, article:<slug>, favorites-of:<viewer>                             |
 * | add / delete comment                    | comments:<slug>                                                             |
 * | update user (username, bio, image, ...) | profiles, articles, user:<old username>, user:<new username>                |
 * |   (an uploaded avatar is `image` given as an upload id: the same write, the same tags)                                |
 * | image upload processed (worker)         | nothing: it shows only once a user or article uses it                       |
 * | follow / unfollow                       | follows-of:<viewer> (nothing shared)                                        |
 *
 * Shared entries never hold `favorited` or `following`: overlays lay them over per viewer, from
 * flags cached per viewer and entry. Those flags depend on the entry's tags (which slugs and
 * usernames it shows) and on the viewer's own favorites and follows, so the viewer's writes bump
 * only the viewer's tags. Profile changes are rare, so they retire every entry that shows a
 * profile (the `profiles` tag) instead of tracking which authors each entry embeds.
 */
export const CacheTags = {
  articles: 'articles',
  tags: 'tags',
  profiles: 'profiles',
  article: (slug: string) => `article:${slug}`,
  comments: (slug: string) => `comments:${slug}`,
  user: (username: string) => `user:${username}`,
  /** What the viewer has favorited: their `favorited` flags and their feed. */
  favoritesOf: (userId: number) => `favorites-of:${userId}`,
  /** Whom the viewer follows: their `following` flags and their feed. */
  followsOf: (userId: number) => `follows-of:${userId}`,
} as const;
