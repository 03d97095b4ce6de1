/**
 * The notification mails, as pure functions of their data: a subject, a plain-text part and an
 * HTML part. Names, titles, descriptions and comment bodies are user input, so every value that
 * goes into the HTML part passes through the `html` tag below, which escapes it; the text part is
 * shown as plain text by every client and is left as written.
 *
 * Links point at the frontend (`APP_URL`), not at the API. Every mail ends with a footer saying
 * why it was sent and where to change the email preferences (the unsubscribe setting).
 */

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

/** The frontend's base URL, e.g. `http://localhost:4200` (config `APP_URL`). */
interface WithAppUrl {
  appUrl: string;
}

export interface DigestArticle {
  title: string;
  slug: string;
  author: string;
  description: string;
}

export function welcomeMail({ username, appUrl }: { username: string } & WithAppUrl): MailContent {
  const links = linksFor(appUrl);
  return compose({
    subject: `Welcome to Conduit, ${username}!`,
    greeting: username,
    text: [
      'Welcome to Conduit! Your account is ready.',
      `Follow authors you like to fill your feed, and share your own articles. Your profile: ${links.profile(username)}`,
    ],
    html: [
      html`<p style="${P}">Welcome to Conduit! Your account is ready.</p>`,
      html`<p style="${P}">Follow authors you like to fill your feed, and share your own articles.</p>`,
      button('Open your profile', links.profile(username)),
    ],
    reason: 'you created an account on Conduit',
    links,
  });
}

export function newFollowerMail({ recipient, follower, appUrl }: { recipient: string; follower: string } & WithAppUrl): MailContent {
  const links = linksFor(appUrl);
  return compose({
    subject: `${follower} is now following you on Conduit`,
    greeting: recipient,
    text: [`${follower} is now following you. See their profile: ${links.profile(follower)}`],
    html: [
      html`<p style="${P}"><a href="${links.profile(follower)}" style="${A}">${follower}</a> is now following you.</p>`,
      button(`See ${follower}'s profile`, links.profile(follower)),
    ],
    reason: 'you have email notifications turned on for your Conduit account',
    links,
  });
}

export function newCommentMail({
  recipient,
  commenter,
  articleTitle,
  articleSlug,
  commentBody,
  appUrl,
}: { recipient: string; commenter: string; articleTitle: string; articleSlug: string; commentBody: string } & WithAppUrl): MailContent {
  const links = linksFor(appUrl);
  const article = links.article(articleSlug);
  return compose({
    subject: `${commenter} commented on "${articleTitle}"`,
    greeting: recipient,
    text: [`${commenter} commented on your article "${articleTitle}":`, quoteText(commentBody), `Reply: ${article}`],
    html: [
      html`<p style="${P}"><a href="${links.profile(commenter)}" style="${A}">${commenter}</a> commented on your article <a href="${article}" style="${A}">${articleTitle}</a>:</p>`,
      html`<blockquote style="margin:0 0 16px;padding:8px 12px;border-left:3px solid #5cb85c;color:#555">${multiline(commentBody)}</blockquote>`,
      button('Reply', article),
    ],
    reason: 'you wrote this article and have email notifications turned on',
    links,
  });
}

export function newArticleMail({
  recipient,
  author,
  title,
  slug,
  description,
  appUrl,
}: { recipient: string; author: string; title: string; slug: string; description: string } & WithAppUrl): MailContent {
  const links = linksFor(appUrl);
  const article = links.article(slug);
  return compose({
    subject: `${author} published "${title}"`,
    greeting: recipient,
    text: [`${author} published a new article:`, `${title}\n${description}\nRead it: ${article}`],
    html: [
      html`<p style="${P}"><a href="${links.profile(author)}" style="${A}">${author}</a> published a new article:</p>`,
      articleCard({ title, description, url: article }),
      button('Read the article', article),
    ],
    reason: `you follow ${author} on Conduit`,
    links,
  });
}

export function digestMail({ recipient, articles, appUrl }: { recipient: string; articles: DigestArticle[] } & WithAppUrl): MailContent {
  const links = linksFor(appUrl);
  const count = articles.length === 1 ? '1 new article' : `${articles.length} new articles`;
  return compose({
    subject: `Your Conduit digest: ${count} in your feed`,
    greeting: recipient,
    text: [
      `${count} from the authors you follow:`,
      ...articles.map((item) => `* ${item.title}, by ${item.author}\n  ${item.description}\n  ${links.article(item.slug)}`),
    ],
    html: [
      html`<p style="${P}">${count} from the authors you follow:</p>`,
      ...articles.map((item) =>
        articleCard({ title: item.title, description: item.description, url: links.article(item.slug), byline: item.author }),
      ),
    ],
    reason: 'you subscribed to the daily digest',
    links,
  });
}

// ---------------------------------------------------------------------------------------------
// Building blocks

interface Links {
  settings: string;
  article(slug: string): string;
  profile(username: string): string;
}

/** Frontend routes of the RealWorld clients; path segments are encoded, the base is taken as configured. */
function linksFor(appUrl: string): Links {
  const base = appUrl.replace(/\/+$/, '');
  return {
    settings: `${base}/settings`,
    article: (slug) => `${base}/article/${encodeURIComponent(slug)}`,
    profile: (username) => `${base}/profile/${encodeURIComponent(username)}`,
  };
}

/** HTML that is already safe: produced by the `html` tag, never by concatenating input. */
class SafeHtml {
  constructor(readonly value: string) {}
}

type HtmlValue = string | number | SafeHtml | readonly SafeHtml[];

/**
 * A template tag that escapes every interpolated string, so that a user's `<script>` or a quote
 * that would close an attribute arrive as text. Only `SafeHtml` (the output of this tag) is
 * inserted as is.
 */
function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  values.forEach((value, index) => {
    out += render(value) + strings[index + 1];
  });
  return new SafeHtml(out);
}

function render(value: HtmlValue): string {
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number') return String(value);
  if (value instanceof SafeHtml) return value.value;
  return value.map(render).join('');
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// Inline styles: many mail clients drop <style> blocks and never load external assets.
const P = 'margin:0 0 16px;line-height:1.5';
const A = 'color:#5cb85c;text-decoration:none;font-weight:bold';

function button(label: string, url: string): SafeHtml {
  return html`<p style="margin:24px 0"><a href="${url}" style="display:inline-block;padding:10px 18px;background:#5cb85c;color:#ffffff;text-decoration:none;border-radius:4px">${label}</a></p>`;
}

function articleCard({ title, description, url, byline }: { title: string; description: string; url: string; byline?: string }): SafeHtml {
  const by = byline === undefined ? [] : [html`<div style="color:#999;font-size:13px">by ${byline}</div>`];
  return html`<div style="margin:0 0 16px;padding:12px 16px;border:1px solid #e5e5e5;border-radius:4px"><a href="${url}" style="color:#333;text-decoration:none;font-size:17px;font-weight:bold">${title}</a>${by}<div style="color:#777;margin-top:4px">${description}</div></div>`;
}

/** Escapes, then keeps the author's line breaks. */
function multiline(text: string): SafeHtml[] {
  return text.split(/\r\n|\r|\n/).flatMap((line, index) => (index === 0 ? [html`${line}`] : [html`<br>`, html`${line}`]));
}

function quoteText(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => `> ${line}`)
    .join('\n');
}

/**
 * A subject is one header line: collapse the line breaks and control characters a title could
 * carry, so that no input can start another header or leave a subject blank-looking.
 */
function oneLine(value: string): string {
  const printable = Array.from(value, (char) => (isControlCharacter(char) ? ' ' : char)).join('');
  return printable.replace(/\s+/g, ' ').trim();
}

/** C0 controls (line breaks among them) and DEL. */
function isControlCharacter(char: string): boolean {
  const code = char.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

function compose({
  subject,
  greeting,
  text,
  html: body,
  reason,
  links,
}: {
  subject: string;
  greeting: string;
  text: string[];
  html: SafeHtml[];
  reason: string;
  links: Links;
}): MailContent {
  const cleanSubject = oneLine(subject);
  const footer = `You receive this because ${reason}. Change your email preferences at ${links.settings}`;
  // "-- " on a line of its own is the signature separator: clients fold away what follows.
  const textPart = `${[`Hi ${greeting},`, ...text].join('\n\n')}\n\n-- \n${footer}\n`;
  const htmlPart = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${cleanSubject}</title>
</head>
<body style="margin:0;padding:24px 12px;background:#f3f3f3;font-family:Helvetica,Arial,sans-serif;font-size:15px;color:#333333">
<div style="max-width:560px;margin:0 auto;background:#ffffff;padding:24px;border-radius:4px">
<p style="margin:0 0 24px;font-size:22px;font-weight:bold;color:#5cb85c">conduit</p>
<p style="${P}">Hi ${greeting},</p>
${body}
<hr style="border:none;border-top:1px solid #e5e5e5;margin:24px 0 12px">
<p style="margin:0;font-size:12px;color:#999999;line-height:1.5">You receive this because ${reason}. Change your email preferences at <a href="${links.settings}" style="color:#999999">${links.settings}</a>.</p>
</div>
</body>
</html>
`;
  return { subject: cleanSubject, text: textPart, html: htmlPart.value };
}
