import { createHash } from 'node:crypto';

const MAX_SLUG_LENGTH = 80;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/**
 * The slug of a title: lower-case words of letters and digits (any script) joined by `-`,
 * accents removed. It depends on the title alone, so two creates of one title race for one
 * slug and the unique index lets exactly one win. A long title keeps a readable head and a hash
 * of the whole, so titles that differ only after the cut still get different slugs.
 */
export function slugify(title: string): string {
  const words = title
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  if (words.length === 0) return `article-${shortHash(title)}`;
  if (words.length <= MAX_SLUG_LENGTH) return words;
  const head = words.slice(0, MAX_SLUG_LENGTH - 11).replace(/-+$/, '');
  return `${head}-${shortHash(title)}`;
}
