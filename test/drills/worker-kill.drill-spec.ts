import { commentScene, DrillStack, mailFigures, startDrillStack } from '../helpers/drill-stack';
import { sleep, waitFor } from '../helpers/worker';

/**
 * The worker SIGKILLed while it is in the middle of several mail jobs (the SMTP server takes
 * 400 ms to answer each message). Once a new worker starts, every job completes (after BullMQ
 * declares the dead worker's jobs stalled, JOB_LOCK_MS) and every comment gives one mail. The one
 * exception SMTP allows: a message the server accepted in the instant the worker died, before the
 * worker could read the 250, is sent again (at least once, never lost); the drill reports those.
 */

jest.setTimeout(180_000);

describe('Drill: worker SIGKILLed in the middle of jobs', () => {
  let stack: DrillStack;

  beforeAll(async () => {
    stack = await startDrillStack();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('completes every job once after a new worker starts, with no duplicate mail', async () => {
    const { article, commenters } = await commentScene(stack.client, 6);
    await stack.quiet();
    stack.smtp.setBehaviour({ kind: 'delay', ms: 400 });
    const before = stack.smtp.accepted.length;
    for (const [index, commenter] of [...commenters, ...commenters, ...commenters].entries()) {
      await stack.client.comment(commenter, article.slug, `Comment ${index}`);
    }
    await waitFor('some mails to be sent and others to be in flight', () => stack.smtp.accepted.length >= before + 2 && stack.smtp.held() > 0, {
      timeoutMs: 30_000,
      intervalMs: 10,
    });
    const inFlight = stack.smtp.held();
    const killStartedAt = Date.now();
    await stack.worker.kill();
    const killedAt = Date.now();
    const deliveredBeforeKill = stack.smtp.accepted.length - before;

    await stack.restartWorker();
    await stack.quiet(90_000);
    await sleep(500);
    const mail = await mailFigures(stack);
    console.log(
      `DRILL worker-kill: comment events ${mail.events}, delivered before the kill ${deliveredBeforeKill}, in flight at the kill ${inFlight}, ` +
        `dropped by the server ${stack.smtp.dropped.length}, all done ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill, ` +
        `mails ${mail.mails}, events lost ${mail.lost}, duplicates ${mail.duplicates}` +
        `${mail.duplicated.length ? ` (accepted as the worker died: ${mail.duplicated.join(' ')})` : ''}`,
    );
    expect(mail.events).toBe(18);
    expect(deliveredBeforeKill).toBeLessThan(18);
    // SMTP cannot take a message back: one the server accepted while the worker was dying (its 250
    // never read) is rightly sent again, as it would be by any sender. No mail the worker could
    // know was accepted, before the kill, may come twice.
    const firstAccepted = (messageId: string): number => Math.min(...stack.smtp.accepted.filter((each) => each.messageId === messageId).map((each) => each.acceptedAt));
    expect(mail.lost).toBe(0);
    expect(mail.duplicated.filter((messageId) => firstAccepted(messageId) < killStartedAt)).toEqual([]);
    const pending = await stack.database.outbox('completed_at IS NULL');
    expect(pending).toEqual([]);
  });
});
