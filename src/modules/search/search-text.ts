import type { ArticleDocument } from './search-engine';
/**
 * The search text as both engines read it, in the grammar of PostgreSQL's `websearch_to_tsquery`:
 * words (all required), "quoted phrases", `-word` or `-"phrase"` to exclude, and `or` between two
 * alternatives. The Elasticsearch adapter parses it with `parseSearchText` so that the same text
 * means the same thing on both.
 */
export interface ParsedSearchText {
  /** Groups of alternatives: every group must match, any member of a group will do. */
  required: SearchTerm[][];
  excluded: SearchTerm[];
}

export interface SearchTerm {
  text: string;
  phrase: boolean;
}

const TOKEN = /(-?)"([^"]*)"?|(\S+)/g;

export function parseSearchText(text: string): ParsedSearchText {
  const required: SearchTerm[][] = [];
  const excluded: SearchTerm[] = [];
  let pendingOr = false;
  for (const match of text.matchAll(TOKEN)) {
    const [, quotedMinus, quoted, bare] = match;
    let negative = quotedMinus === '-';
    let term: SearchTerm;
    if (quoted !== undefined) {
      term = { text: quoted.trim(), phrase: true };
    } else {
      if (bare.toLowerCase() === 'or') {
        pendingOr = required.length > 0;
        continue;
      }
      negative = bare.startsWith('-') && bare.length > 1;
      term = { text: negative ? bare.slice(1) : bare, phrase: false };
    }
    if (!/[\p{L}\p{N}]/u.test(term.text)) continue;
    if (negative) {
      excluded.push(term);
    } else if (pendingOr) {
      required[required.length - 1].push(term);
    } else {
      required.push([term]);
    }
    pendingOr = false;
  }
  return { required, excluded };
}

/**
 * Engines mark matched words with these private-use characters, never found in real text; the
 * API escapes the text as HTML and only then turns the marks into `<em>` tags, so a title
 * holding markup cannot inject it through a highlight.
 */
export const HIGHLIGHT_START = '\uE000';
export const HIGHLIGHT_END = '\uE001';
/** Separates the fragments of one field in PostgreSQL's `ts_headline` output. */
export const FRAGMENT_SEPARATOR = '\uE002';

/**
 * The marks are private-use characters, which a client can still type: an article's own U+E000
 * would become an `<em>` of its author's choosing. Every engine is handed the text without them
 * (PostgreSQL's ts_headline through `translate`, Elasticsearch's documents when written).
 */
export const HIGHLIGHT_MARKS = HIGHLIGHT_START + HIGHLIGHT_END + FRAGMENT_SEPARATOR;
const MARK_PATTERN = new RegExp(`[${HIGHLIGHT_MARKS}]`, 'g');

export function withoutHighlightMarks(text: string): string {
  return text.replace(MARK_PATTERN, '');
}

/** A document as an engine may store it: the engine highlights the stored text, which must not hold its own marks. */
export function storableDocument(document: ArticleDocument): ArticleDocument {
  return {
    ...document,
    title: withoutHighlightMarks(document.title),
    description: withoutHighlightMarks(document.description),
    body: withoutHighlightMarks(document.body),
    tags: document.tags.map(withoutHighlightMarks),
  };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function renderHighlight(marked: string): string {
  return marked
    .replace(/[&<>"']/g, (character) => HTML_ESCAPES[character])
    .replaceAll(HIGHLIGHT_START, '<em>')
    .replaceAll(HIGHLIGHT_END, '</em>');
}

/** Whether a fragment holds a match (ts_headline returns the start of a field even without one). */
export function hasMatch(marked: string): boolean {
  return marked.includes(HIGHLIGHT_START);
}

/** Every field's fragments rendered (see renderHighlight); fields without fragments stay absent. */
export function renderHighlights<Fields extends string>(highlights: Partial<Record<Fields, string[]>>): Partial<Record<Fields, string[]>> {
  return Object.fromEntries(Object.entries<string[] | undefined>(highlights).flatMap(([field, fragments]) => (fragments ? [[field, fragments.map(renderHighlight)]] : []))) as Partial<
    Record<Fields, string[]>
  >;
}
