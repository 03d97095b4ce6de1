/**
 * The cache contract of profiles.
 *
 * | cached response                 | depends on tags                     |
 * | ------------------------------- | ----------------------------------- |
 * | GET /api/profiles/:username     | user:<username>                     |
 * | any response embedding a profile | profiles                           |
 * | a viewer's `following` flags    | the entry's tags, follows-of:<viewer> |
 *
 * | write                                   | retires                                                      |
 * | --------------------------------------- | ------------------------------------------------------------ |
 * | update user (username, bio, image, ...) | profiles, articles, user:<old username>, user:<new username> |
 * |   (an uploaded avatar is `image` given as an upload id: the same write, the same tags)           |
 * | image upload processed (worker)         | nothing: it shows only once a user or article uses it        |
 * | follow / unfollow                       | follows-of:<viewer> (nothing shared)                         |
 *
 * Profile changes are rare, so they retire every entry that shows a profile (the `profiles` tag)
 * instead of tracking which authors each entry embeds.
 */
export const ProfileCacheTags = {
  all: "profiles",
  one: (username: string) => `user:${username}`,
  /** Whom the viewer follows: their `following` flags and their feed. */
  followsOf: (userId: number) => `follows-of:${userId}`,
} as const;
