import type { Db } from '@/infra/prisma/db';
import { defineJobs } from '@/infra/queue/job-handler';
import { QUEUES } from '@/infra/queue/queues';
import { EVENT_SUBSCRIPTIONS } from '@/event-subscriptions';
import { defineEvents, DomainEvents, reactTo } from './domain-events';
import type { JobIntent, OutboxService } from './outbox.service';

interface ShelfEvents {
  'shelf.filled': { shelfId: number };
  'shelf.emptied': { shelfId: number };
}
const SHELF_EVENTS = defineEvents<ShelfEvents>({ 'shelf.filled': true, 'shelf.emptied': true });
const SHELF_MAILS = defineJobs<{ 'shelf-filled': { shelfId: number }; 'shelf-audit': { shelfId: number } }>(QUEUES.mail, { 'shelf-filled': true, 'shelf-audit': true });

/** The outbox's writer, recording what it was given (emit's only collaborator). */
function recordingOutbox(): { outbox: OutboxService; written: JobIntent[][] } {
  const written: JobIntent[][] = [];
  const outbox = { add: (_db: Db, ...intents: JobIntent[]) => Promise.resolve(void written.push(intents)) } as unknown as OutboxService;
  return { outbox, written };
}

describe('domain events', () => {
  it('writes, in one call, the job of every subscriber to each event emitted, and nothing for an event nobody follows', async () => {
    const { outbox, written } = recordingOutbox();
    const events = new DomainEvents(
      [
        reactTo(SHELF_EVENTS, 'shelf.filled', 'mail', ({ shelfId }) => SHELF_MAILS.intent('shelf-filled', { shelfId })),
        reactTo(SHELF_EVENTS, 'shelf.filled', 'audit', ({ shelfId }) => SHELF_MAILS.intent('shelf-audit', { shelfId })),
      ],
      outbox,
    );
    await events.emit({} as Db, SHELF_EVENTS.of('shelf.filled', { shelfId: 7 }), SHELF_EVENTS.of('shelf.emptied', { shelfId: 7 }));
    expect(written).toEqual([
      [
        { queue: 'mail', name: 'shelf-filled', payload: { shelfId: 7 } },
        { queue: 'mail', name: 'shelf-audit', payload: { shelfId: 7 } },
      ],
    ]);
    expect(events.subscriptionsTo('shelf.emptied')).toEqual([]);
  });

  it('refuses a subscription to an event its producer does not declare', () => {
    expect(() => reactTo(SHELF_EVENTS, 'shelf.burnt' as keyof ShelfEvents, 'mail', () => SHELF_MAILS.intent('shelf-filled', { shelfId: 1 }))).toThrow(
      'mail: "shelf.burnt" is not a declared event',
    );
  });

  it("lists the deployment's mails as reactions to the producers' events", () => {
    const reactions = EVENT_SUBSCRIPTIONS.map((subscription) => [subscription.event, subscription.reaction({ userId: 1, followerId: 1, followedId: 2, commentId: 3, articleId: 4 }).name]);
    expect(reactions).toEqual([
      ['user.registered', 'welcome'],
      ['profile.followed', 'new-follower'],
      ['comment.added', 'new-comment'],
      ['article.published', 'new-article'],
    ]);
  });
});
