/**
 * The cache contract of tags: GET /api/tags depends on `tags`, which every article write that can
 * change the set of tags in use retires (creation, update, deletion: see ArticleWritesRetire).
 */
export const TagCacheTags = {
  all: "tags",
} as const;
