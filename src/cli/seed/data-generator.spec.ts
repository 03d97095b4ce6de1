import { normaliseSizes, SEED_SIZES, SEED_TAG_NAMES, tagNames, timelineStart } from './data-generator';

describe('normaliseSizes', () => {
  it('keeps the bench size as the benchmarks need it', () => {
    expect(normaliseSizes(SEED_SIZES.bench)).toEqual({
      users: 10_000,
      articles: 100_000,
      favorites: 300_000,
      comments: 200_000,
      tags: 50,
      tagsPerArticle: 3,
      followsPerUser: 20,
    });
  });

  it('caps what cannot fit: favorites at users x articles, follows at the other users, tags per article at the tags', () => {
    expect(normaliseSizes({ users: 3, articles: 2, favorites: 100, comments: 5, tags: 2, tagsPerArticle: 3, followsPerUser: 20 })).toEqual({
      users: 3,
      articles: 2,
      favorites: 6,
      comments: 5,
      tags: 2,
      tagsPerArticle: 2,
      followsPerUser: 2,
    });
  });

  it('writes no comments without articles and at least one user', () => {
    expect(normaliseSizes({ users: 0, articles: 0, favorites: 10, comments: 10, tags: 0, tagsPerArticle: 3, followsPerUser: 3 })).toMatchObject({
      users: 1,
      favorites: 0,
      comments: 0,
      tagsPerArticle: 0,
      followsPerUser: 0,
    });
  });
});

describe('tagNames', () => {
  it('takes the first names of the list, then numbered topics', () => {
    expect(tagNames(3)).toEqual(SEED_TAG_NAMES.slice(0, 3));
    const many = tagNames(SEED_TAG_NAMES.length + 2);
    expect(many.slice(-2)).toEqual([`topic-${SEED_TAG_NAMES.length + 1}`, `topic-${SEED_TAG_NAMES.length + 2}`]);
    expect(new Set(many).size).toBe(many.length);
  });
});

describe('timelineStart', () => {
  it('ends the articles a day before the current UTC day, whatever the hour, so the newest are recent and none in the future', () => {
    const morning = new Date('2026-03-10T00:05:00Z');
    const night = new Date('2026-03-10T23:55:00Z');
    expect(timelineStart(100, morning)).toBe(timelineStart(100, night));
    const lastArticle = Date.parse(timelineStart(100, night)) + 100 * 600_000;
    expect(new Date(lastArticle).toISOString()).toBe('2026-03-08T23:50:00.000Z');
    expect(Date.parse(timelineStart(100_000, night)) + 100_000 * 600_000).toBe(lastArticle);
  });
});
