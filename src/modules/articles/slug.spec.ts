import { slugify } from './slug';

describe('slugify', () => {
  it('joins lower-case words with hyphens', () => {
    expect(slugify('How to train your Dragon')).toBe('how-to-train-your-dragon');
  });

  it('drops punctuation and collapses separators', () => {
    expect(slugify('  Hello,   World!!  -- again? ')).toBe('hello-world-again');
  });

  it('removes accents but keeps letters of any script', () => {
    expect(slugify('Crème Brûlée')).toBe('creme-brulee');
    expect(slugify('Привет мир')).toBe('привет-мир');
    expect(slugify('日本語 タイトル')).toBe('日本語-タイトル');
  });

  it('gives a title with no letters or digits a stable hashed slug', () => {
    const slug = slugify('!!! ???');
    expect(slug).toMatch(/^article-[0-9a-f]{10}$/);
    expect(slugify('!!! ???')).toBe(slug);
    expect(slugify('*** ***')).not.toBe(slug);
  });

  it('keeps long slugs bounded and distinct for titles that differ after the cut', () => {
    const head = 'word '.repeat(40);
    const first = slugify(`${head} first ending`);
    const second = slugify(`${head} second ending`);
    expect(first.length).toBeLessThanOrEqual(80);
    expect(first).not.toBe(second);
    expect(first.startsWith('word-word-word')).toBe(true);
  });

  it('depends on the title alone, so concurrent creates of one title collide on one slug', () => {
    expect(slugify('Same Title')).toBe(slugify('same title'));
  });
});
