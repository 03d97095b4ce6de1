import { digestMail, escapeHtml, MailContent, newArticleMail, newCommentMail, newFollowerMail, welcomeMail } from './mail-templates';

const appUrl = 'https://conduit.example';
const hostile = `<script>alert("x")</script> O'Brien & "friends"`;

/** Every href of an HTML part, unescaped as a browser would read it. */
function hrefs(html: string): string[] {
  return [...html.matchAll(/href="([^"]*)"/g)].map(([, href]) => href.replace(/&amp;/g, '&'));
}

/** The HTML part with tags removed and entities decoded: roughly what a reader sees. */
function visibleText(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

const every: Array<[string, () => MailContent]> = [
  ['welcome', () => welcomeMail({ username: 'jake', appUrl })],
  ['new follower', () => newFollowerMail({ recipient: 'jake', follower: 'anne', appUrl })],
  [
    'new comment',
    () => newCommentMail({ recipient: 'jake', commenter: 'anne', articleTitle: 'How to train', articleSlug: 'how-to-train-1', commentBody: 'Great!', appUrl }),
  ],
  ['new article', () => newArticleMail({ recipient: 'jake', author: 'anne', title: 'Dragons', slug: 'dragons-2', description: 'All about them', appUrl })],
  ['digest', () => digestMail({ recipient: 'jake', articles: [{ title: 'Dragons', slug: 'dragons-2', author: 'anne', description: 'All about them' }], appUrl })],
];

describe('mail templates', () => {
  describe.each(every)('%s', (_name, build) => {
    const mail = build();

    it('has a subject, a plain-text part and a complete HTML part', () => {
      expect(mail.subject.length).toBeGreaterThan(0);
      expect(mail.subject).not.toMatch(/[\r\n]/);
      expect(mail.text).toMatch(/^Hi jake,\n/);
      expect(mail.text).not.toMatch(/<[a-z!/]/i);
      expect(mail.html).toMatch(/^<!DOCTYPE html>/);
      expect(mail.html).toContain('</html>');
      expect(visibleText(mail.html)).toContain('Hi jake,');
    });

    it('ends with the unsubscribe footer in both parts', () => {
      expect(mail.text).toMatch(/\n-- \nYou receive this because .+\. Change your email preferences at https:\/\/conduit\.example\/settings\n$/);
      expect(visibleText(mail.html)).toMatch(/You receive this because .+\. Change your email preferences at https:\/\/conduit\.example\/settings/);
      expect(hrefs(mail.html)).toContain(`${appUrl}/settings`);
    });

    it('loads nothing from outside (no images, stylesheets or scripts)', () => {
      expect(mail.html).not.toMatch(/<(img|link|script|iframe)\b/i);
      expect(mail.html).not.toMatch(/\bsrc=/i);
    });
  });

  it('links to the profile in a welcome mail', () => {
    const mail = welcomeMail({ username: 'jake', appUrl });
    expect(mail.subject).toBe('Welcome to Conduit, jake!');
    expect(mail.text).toContain('https://conduit.example/profile/jake');
    expect(hrefs(mail.html)).toContain('https://conduit.example/profile/jake');
  });

  it("links to the follower's profile in a new-follower mail", () => {
    const mail = newFollowerMail({ recipient: 'jake', follower: 'anne', appUrl });
    expect(mail.subject).toBe('anne is now following you on Conduit');
    expect(mail.text).toContain('anne is now following you. See their profile: https://conduit.example/profile/anne');
    expect(hrefs(mail.html)).toContain('https://conduit.example/profile/anne');
  });

  it('quotes the comment and links to the article in a new-comment mail', () => {
    const mail = newCommentMail({
      recipient: 'jake',
      commenter: 'anne',
      articleTitle: 'How to train your dragon',
      articleSlug: 'how-to-train-your-dragon-1',
      commentBody: 'First line\nSecond line',
      appUrl,
    });
    expect(mail.subject).toBe('anne commented on "How to train your dragon"');
    expect(mail.text).toContain('> First line\n> Second line');
    expect(mail.text).toContain('https://conduit.example/article/how-to-train-your-dragon-1');
    expect(mail.html).toContain('First line<br>Second line');
    expect(hrefs(mail.html)).toEqual(
      expect.arrayContaining(['https://conduit.example/article/how-to-train-your-dragon-1', 'https://conduit.example/profile/anne']),
    );
  });

  it('names the author and links to the article in a new-article mail', () => {
    const mail = newArticleMail({ recipient: 'jake', author: 'anne', title: 'Dragons', slug: 'dragons-2', description: 'All about them', appUrl });
    expect(mail.subject).toBe('anne published "Dragons"');
    expect(mail.text).toContain('Dragons\nAll about them\nRead it: https://conduit.example/article/dragons-2');
    expect(mail.text).toContain('you follow anne on Conduit');
    expect(hrefs(mail.html)).toEqual(expect.arrayContaining(['https://conduit.example/article/dragons-2', 'https://conduit.example/profile/anne']));
  });

  it('lists every article of a digest, with its link and author', () => {
    const articles = [
      { title: 'Dragons', slug: 'dragons-2', author: 'anne', description: 'All about them' },
      { title: 'Knights', slug: 'knights-3', author: 'bob', description: 'Shiny armour' },
    ];
    const mail = digestMail({ recipient: 'jake', articles, appUrl });
    expect(mail.subject).toBe('Your Conduit digest: 2 new articles in your feed');
    expect(mail.text).toContain('* Dragons, by anne\n  All about them\n  https://conduit.example/article/dragons-2');
    expect(mail.text).toContain('* Knights, by bob\n  Shiny armour\n  https://conduit.example/article/knights-3');
    expect(hrefs(mail.html)).toEqual(expect.arrayContaining(['https://conduit.example/article/dragons-2', 'https://conduit.example/article/knights-3']));
    expect(visibleText(mail.html)).toContain('by bob');
    expect(digestMail({ recipient: 'jake', articles: articles.slice(0, 1), appUrl }).subject).toBe('Your Conduit digest: 1 new article in your feed');
  });

  it('accepts a base URL with a trailing slash and encodes path segments', () => {
    const mail = newArticleMail({ recipient: 'jake', author: 'ann e/x', title: 't', slug: 'a?b#c', description: 'd', appUrl: 'http://localhost:4200/' });
    expect(hrefs(mail.html)).toEqual(expect.arrayContaining(['http://localhost:4200/article/a%3Fb%23c', 'http://localhost:4200/profile/ann%20e%2Fx']));
    expect(mail.text).toContain('Change your email preferences at http://localhost:4200/settings\n');
  });

  describe('user input', () => {
    const mails = {
      comment: newCommentMail({ recipient: hostile, commenter: hostile, articleTitle: hostile, articleSlug: 'slug', commentBody: hostile, appUrl }),
      article: newArticleMail({ recipient: hostile, author: hostile, title: hostile, slug: 'slug', description: hostile, appUrl }),
      follower: newFollowerMail({ recipient: hostile, follower: hostile, appUrl }),
      welcome: welcomeMail({ username: hostile, appUrl }),
      digest: digestMail({ recipient: hostile, articles: [{ title: hostile, slug: 'slug', author: hostile, description: hostile }], appUrl }),
    };

    it.each(Object.entries(mails))('is escaped in the HTML part of the %s mail', (_name, mail) => {
      expect(mail.html).not.toContain('<script>');
      expect(mail.html).not.toContain(`"x"`);
      expect(mail.html).not.toContain(`O'Brien`);
      expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Brien &amp; &quot;friends&quot;');
      // Decoded, the reader sees exactly what was typed.
      expect(visibleText(mail.html)).toContain(hostile);
    });

    it.each(Object.entries(mails))('is left as written in the text part of the %s mail', (_name, mail) => {
      expect(mail.text).toContain(hostile);
      expect(mail.text).not.toContain('&lt;');
    });

    it('cannot break out of an href through a slug or a username', () => {
      const quote = `x" onmouseover="alert(1)`;
      const linked = [
        newCommentMail({ recipient: 'jake', commenter: quote, articleTitle: 't', articleSlug: quote, commentBody: 'b', appUrl }),
        newArticleMail({ recipient: 'jake', author: quote, title: 't', slug: quote, description: 'd', appUrl }),
        newFollowerMail({ recipient: 'jake', follower: quote, appUrl }),
        welcomeMail({ username: quote, appUrl }),
        digestMail({ recipient: 'jake', articles: [{ title: 't', slug: quote, author: quote, description: 'd' }], appUrl }),
      ];
      for (const mail of linked) {
        for (const tag of mail.html.match(/<[a-z][^>]*>/gi) ?? []) {
          expect(tag).not.toMatch(/\sonmouseover=/);
          // An unbalanced quote would leave an attribute open and swallow the rest of the tag.
          expect((tag.match(/"/g) ?? []).length % 2).toBe(0);
        }
        expect(hrefs(mail.html).some((href) => href.endsWith('/x%22%20onmouseover%3D%22alert(1)'))).toBe(true);
      }
    });

    it('keeps a subject on one header line', () => {
      const mail = newArticleMail({ recipient: 'jake', author: 'anne', title: 'Line one\r\nBcc: victim@example.com', slug: 's', description: 'd', appUrl });
      expect(mail.subject).toBe('anne published "Line one Bcc: victim@example.com"');
    });
  });

  it('escapes the five HTML special characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
