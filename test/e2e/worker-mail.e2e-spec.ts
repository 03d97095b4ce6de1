import type { Queue } from 'bullmq';
import {
  Account,
  ArticleView,
  BackgroundStack,
  ConduitClient,
  ReceivedMail,
  sleep,
  SmtpCapture,
  startBackgroundStack,
  TestDatabase,
  unique,
  waitForQuiet,
  WorkerProcess,
} from '../helpers/worker';

/**
 * The notification mails end to end: an api process writes, the worker process (dist/src/worker.js)
 * relays the outbox to BullMQ on a Redis of this suite's own and sends through a real SMTP server
 * started here. Each mail must arrive once, to the right person, with the right names and links in
 * both its text and HTML parts; mails nobody should get must not arrive. "Not arrived" is asserted
 * only once the outbox and the queues are empty, so it cannot be a mail still on its way.
 */

jest.setTimeout(60_000);

const APP_URL = 'http://conduit.test';

describe('Notification mails through the worker and a real SMTP server', () => {
  const database = new TestDatabase();
  let stack: BackgroundStack;
  let smtp: SmtpCapture;
  let worker: WorkerProcess;
  let client: ConduitClient;
  let queues: Queue[];
  /** For the digest: set up before the worker starts, since the digest goes out once a day. */
  const digest = {} as { reader: Account; notSubscribed: Account; author: Account; yesterday: ArticleView; today: ArticleView };

  beforeAll(async () => {
    // The digest's schedule fires every second, so that the day's digest goes out at once.
    stack = await startBackgroundStack(database, { env: { DIGEST_CRON: '* * * * * *' }, worker: false, queues: ['mail', 'scheduled'] });
    ({ smtp, client, queues } = stack);

    const [reader, notSubscribed, author] = [await client.register('reader'), await client.register('plain'), await client.register('author')];
    await client.updateUser(reader, { digestEmails: true });
    await client.follow(reader, author);
    await client.follow(notSubscribed, author);
    const yesterday = await client.createArticle(author, { title: `Yesterday ${unique('y')}`, description: 'What happened yesterday' });
    const today = await client.createArticle(author, { title: `Today ${unique('t')}` });
    // The digest covers the previous (UTC) day: move one article there.
    await database.pool.query(`UPDATE articles SET published_at = now() - interval '1 day', created_at = now() - interval '1 day' WHERE slug = $1`, [yesterday.slug]);
    Object.assign(digest, { reader, notSubscribed, author, yesterday, today });

    worker = await stack.startWorker();
  });

  afterAll(async () => {
    await stack?.close();
  });

  function expectWellFormed(mail: ReceivedMail, recipient: Account): void {
    expect(mail.to).toEqual([recipient.email]);
    expect(mail.headerTo).toEqual([recipient.email]);
    expect(mail.envelopeFrom).toBe('no-reply@conduit.test');
    expect(mail.from).toContain('no-reply@conduit.test');
    expect(mail.text).toMatch(new RegExp(`^Hi ${recipient.username},`));
    expect(mail.html).toMatch(/^<!DOCTYPE html>/);
    expect(mail.html).toContain(`Hi ${recipient.username},`);
    expect(mail.text).toContain(`${APP_URL}/settings`);
  }

  it('sends a new user one welcome mail with a text and an HTML part', async () => {
    const alice = await client.register('alice');

    const [mail] = await smtp.waitForMail(alice.email);
    expectWellFormed(mail, alice);
    expect(mail.subject).toBe(`Welcome to Conduit, ${alice.username}!`);
    expect(mail.messageId).toBe(stack.messageId(`welcome.${alice.id}`));
    expect(mail.text).toContain(`${APP_URL}/profile/${alice.username}`);
    expect(mail.html).toContain(`href="${APP_URL}/profile/${alice.username}"`);

    await waitForQuiet(database, queues);
    expect(smtp.to(alice.email)).toHaveLength(1);
  });

  it('tells the followed user about a new follower, once even after unfollow and follow again', async () => {
    const [alice, bob] = [await client.register('alice'), await client.register('bob')];

    await client.follow(bob, alice);
    const [mail] = await smtp.waitForMail(alice.email, { subject: /following you/ });
    expectWellFormed(mail, alice);
    expect(mail.subject).toBe(`${bob.username} is now following you on Conduit`);
    expect(mail.text).toContain(`${bob.username} is now following you. See their profile: ${APP_URL}/profile/${bob.username}`);
    expect(mail.html).toContain(`href="${APP_URL}/profile/${bob.username}"`);

    // Following again changes nothing; unfollowing and following again is the same news twice.
    await client.follow(bob, alice);
    await client.unfollow(bob, alice);
    await client.follow(bob, alice);
    await waitForQuiet(database, queues);
    expect(smtp.to(alice.email).filter((m) => /following you/.test(m.subject))).toHaveLength(1);
    // The follower hears nothing but the welcome.
    expect(smtp.to(bob.email).map((m) => m.subject)).toEqual([`Welcome to Conduit, ${bob.username}!`]);
  });

  it("tells an article's author about another user's comment, and not about their own", async () => {
    const [alice, carol] = [await client.register('alice'), await client.register('carol')];
    const article = await client.createArticle(alice, { title: `Dragons ${unique('d')}` });
    const body = `Lovely read\nabout ${unique('c')}`;

    await client.comment(carol, article.slug, body);
    const [mail] = await smtp.waitForMail(alice.email, { subject: /commented on/ });
    expectWellFormed(mail, alice);
    expect(mail.subject).toBe(`${carol.username} commented on "${article.title}"`);
    expect(mail.text).toContain(`${carol.username} commented on your article "${article.title}":`);
    expect(mail.text).toContain(body.split('\n').map((line) => `> ${line}`).join('\n'));
    expect(mail.text).toContain(`${APP_URL}/article/${article.slug}`);
    expect(mail.html).toContain(body.replace('\n', '<br>'));
    expect(mail.html).toContain(`href="${APP_URL}/article/${article.slug}"`);

    await client.comment(alice, article.slug, 'Thanks, says the author');
    await waitForQuiet(database, queues);
    expect(smtp.to(alice.email).filter((m) => /commented on/.test(m.subject))).toHaveLength(1);
    expect(smtp.to(carol.email).filter((m) => /commented on/.test(m.subject))).toHaveLength(0);
  });

  it('mails a new article to each follower who wants notifications, and not to one who turned them off', async () => {
    const [alice, bob, dave] = [await client.register('alice'), await client.register('bob'), await client.register('dave')];
    await client.follow(bob, alice);
    await client.follow(dave, alice);
    const settings = await client.updateUser(dave, { emailNotifications: false });
    expect(settings.username).toBe(dave.username);
    const { rows } = await database.pool.query('SELECT email_notifications FROM users WHERE id = $1', [dave.id]);
    expect(rows[0].email_notifications).toBe(false);

    const article = await client.createArticle(alice, { title: `Knights ${unique('k')}`, description: 'Shiny armour, explained' });
    const [mail] = await smtp.waitForMail(bob.email, { subject: /published/ });
    expectWellFormed(mail, bob);
    expect(mail.subject).toBe(`${alice.username} published "${article.title}"`);
    expect(mail.messageId).toBe(stack.messageId(`article.${(await articleId(article.slug))}.${bob.id}`));
    expect(mail.text).toContain(`${article.title}\nShiny armour, explained\nRead it: ${APP_URL}/article/${article.slug}`);
    expect(mail.text).toContain(`you follow ${alice.username} on Conduit`);
    expect(mail.html).toContain(`href="${APP_URL}/article/${article.slug}"`);
    expect(mail.html).toContain(article.title);

    await waitForQuiet(database, queues);
    expect(smtp.to(bob.email).filter((m) => /published/.test(m.subject))).toHaveLength(1);
    expect(smtp.to(dave.email).filter((m) => /published/.test(m.subject))).toHaveLength(0);
    expect(smtp.to(alice.email).filter((m) => /published/.test(m.subject))).toHaveLength(0);
    // dave opted out of notifications, not of the new-follower mail he caused: he got only his welcome.
    expect(smtp.to(dave.email)).toHaveLength(1);
  });

  it('sends no follower or comment mail to a user who turned notifications off', async () => {
    const [erin, frank] = [await client.register('erin'), await client.register('frank')];
    await client.updateUser(erin, { emailNotifications: false });
    const article = await client.createArticle(erin, { title: `Quiet ${unique('q')}` });

    await client.follow(frank, erin);
    await client.comment(frank, article.slug, 'Hello?');
    await waitForQuiet(database, queues);
    expect(smtp.to(erin.email).map((m) => m.subject)).toEqual([`Welcome to Conduit, ${erin.username}!`]);

    // Turned back on, the next news arrives again.
    await client.updateUser(erin, { emailNotifications: true });
    await client.comment(frank, article.slug, 'Anyone?');
    await smtp.waitForMail(erin.email, { subject: /commented on/ });
  });

  it('fans a new article out in batches: 101 followers get one mail each', async () => {
    const author = await client.register('author');
    const followers: Account[] = [];
    for (let start = 0; start < 101; start += 10) {
      const batch = await Promise.all(Array.from({ length: Math.min(10, 101 - start) }, () => client.register('fan')));
      followers.push(...batch);
    }
    for (let start = 0; start < followers.length; start += 20) {
      await Promise.all(followers.slice(start, start + 20).map((follower) => client.follow(follower, author)));
    }
    const article = await client.createArticle(author, { title: `Crowds ${unique('c')}` });

    const subject = `${author.username} published "${article.title}"`;
    await waitForQuiet(database, queues, 30_000);
    const received = smtp.accepted.filter((mail) => mail.subject === subject);
    expect(received.map((mail) => mail.to[0]).sort()).toEqual(followers.map((follower) => follower.email).sort());
    // Two batch jobs (100 + 1), with ids derived from the first recipient of each.
    const batches = await queues[0].getCompleted(0, 1_000);
    const id = await articleId(article.slug);
    expect(batches.filter((job) => job.name === 'new-article-batch' && (job.data as { articleId: number }).articleId === id).map((job) => job.data.recipientIds.length).sort()).toEqual([1, 100]);
  });

  it("sends the daily digest of the previous day's feed to a user who asked for it, and to nobody else", async () => {
    const { reader, notSubscribed, author, yesterday, today } = digest;
    const [mail] = await smtp.waitForMail(reader.email, { subject: /^Your Conduit digest/ });
    expectWellFormed(mail, reader);
    expect(mail.subject).toBe('Your Conduit digest: 1 new article in your feed');
    expect(mail.text).toContain(`* ${yesterday.title}, by ${author.username}\n  What happened yesterday\n  ${APP_URL}/article/${yesterday.slug}`);
    expect(mail.text).not.toContain(today.title);
    expect(mail.html).toContain(`href="${APP_URL}/article/${yesterday.slug}"`);

    await waitForQuiet(database, queues);
    expect(smtp.accepted.filter((m) => /^Your Conduit digest/.test(m.subject)).map((m) => m.to[0])).toEqual([reader.email]);
    expect(smtp.to(notSubscribed.email).filter((m) => /^Your Conduit digest/.test(m.subject))).toEqual([]);
  });

  it('delivered every mail exactly once, recorded each delivery, and completed every outbox event', async () => {
    await waitForQuiet(database, queues);
    await sleep(500);
    const byMessageId = new Map<string, number>();
    for (const mail of smtp.accepted) byMessageId.set(mail.messageId, (byMessageId.get(mail.messageId) ?? 0) + 1);
    expect([...byMessageId].filter(([, count]) => count > 1)).toEqual([]);
    expect(smtp.dropped).toEqual([]);
    const deliveries = await database.deliveries();
    expect(deliveries.map((row) => row.messageId).sort()).toEqual([...byMessageId.keys()].sort());
    expect(await database.outbox('completed_at IS NULL')).toEqual([]);
    expect(await queues[0].getFailedCount()).toBe(0);
    expect(worker.output()).not.toMatch(/"level":"(error|fatal)"/);
  });

  async function articleId(slug: string): Promise<number> {
    const { rows } = await database.pool.query<{ id: number }>('SELECT id FROM articles WHERE slug = $1', [slug]);
    return rows[0].id;
  }
});
