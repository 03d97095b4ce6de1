import { FRAGMENT_SEPARATOR, hasMatch, HIGHLIGHT_END, HIGHLIGHT_START, parseSearchText, renderHighlight, withoutHighlightMarks } from './search-text';
import { hasSearchableWord } from './stop-words';

describe('parseSearchText', () => {
  it('requires every word', () => {
    expect(parseSearchText('dragon  training')).toEqual({
      required: [[{ text: 'dragon', phrase: false }], [{ text: 'training', phrase: false }]],
      excluded: [],
    });
  });

  it('reads quoted phrases, exclusions and `or` as websearch_to_tsquery does', () => {
    expect(parseSearchText('"fire glands" -cooking cats or dogs -"bad news"')).toEqual({
      required: [[{ text: 'fire glands', phrase: true }], [{ text: 'cats', phrase: false }, { text: 'dogs', phrase: false }]],
      excluded: [{ text: 'cooking', phrase: false }, { text: 'bad news', phrase: true }],
    });
  });

  it('ignores a leading `or`, an unclosed quote’s missing end, and bare punctuation', () => {
    expect(parseSearchText('or dragon "wild fire')).toEqual({
      required: [[{ text: 'dragon', phrase: false }], [{ text: 'wild fire', phrase: true }]],
      excluded: [],
    });
    expect(parseSearchText('!!! - ""')).toEqual({ required: [], excluded: [] });
  });
});

describe('renderHighlight', () => {
  it('escapes the text, then turns the engine marks into <em> tags', () => {
    const marked = `a <b>${HIGHLIGHT_START}dragon${HIGHLIGHT_END}</b> & "friends"`;
    expect(renderHighlight(marked)).toBe('a &lt;b&gt;<em>dragon</em>&lt;/b&gt; &amp; &quot;friends&quot;');
    expect(hasMatch(marked)).toBe(true);
    expect(hasMatch('no match here')).toBe(false);
  });
});

describe('hasSearchableWord', () => {
  it('is false for stop words and punctuation only', () => {
    expect(hasSearchableWord('the and of')).toBe(false);
    expect(hasSearchableWord('?!, ...')).toBe(false);
    expect(hasSearchableWord('The Dragon')).toBe(true);
    expect(hasSearchableWord('42')).toBe(true);
  });
});

describe('withoutHighlightMarks', () => {
  it('removes the engine marks a text may hold, and nothing else', () => {
    const typed = `${HIGHLIGHT_START}<b>owned</b>${HIGHLIGHT_END} and ${FRAGMENT_SEPARATOR}more \uE003`;
    expect(withoutHighlightMarks(typed)).toBe('<b>owned</b> and more \uE003');
    expect(renderHighlight(withoutHighlightMarks(typed))).not.toContain('<em>');
  });
});
