import { commentScene, DrillStack, mailFigures, startDrillStack } from '../helpers/drill-stack';
import { sleep, waitFor } from '../helpers/worker';

/**
 * The worker SIGKILLed while it is in the middle of several mail jobs: their messages sent in
 * full, the SMTP server holding its answer. Some mails were delivered (and recorded) before the
 * kill. Once a new worker starts, every job completes (after BullMQ declares the dead worker's
 * jobs stalled, JOB_LOCK_MS) and every comment gives exactly one mail: the delivered ones are not
 * sent again, the unanswered ones are sent once.
 *
 * The server answers only when the drill says so, so the kill never lands in the one instant SMTP
 * leaves open (a 250 the worker has not read yet; see MailDeliveries), and the drill can demand
 * no duplicate at all.
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
    stack.smtp.setBehaviour({ kind: 'hold' });
    const before = stack.smtp.accepted.length;
    for (const [index, commenter] of [...commenters, ...commenters, ...commenters].entries()) {
      await stack.client.comment(commenter, article.slug, `Comment ${index}`);
    }

    // A first round of conversations is answered, and the worker records those deliveries...
    await waitFor('a first round of mails to wait for their answer', () => stack.smtp.held() >= 2, { timeoutMs: 30_000, intervalMs: 10 });
    stack.smtp.releaseHeld();
    const delivered = stack.smtp.accepted.slice(before).map((mail) => mail.messageId);
    await waitFor(
      'the delivered mails to be recorded',
      async () => {
        const recorded = new Set((await stack.database.deliveries()).map((row) => row.messageId));
        return delivered.every((messageId) => recorded.has(messageId));
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    // ...while the next round has been sent in full and waits for the server's answer.
    await waitFor('the next round of mails to be in flight', () => stack.smtp.held() > 0, { timeoutMs: 30_000, intervalMs: 10 });

    await stack.worker.kill();
    const killedAt = Date.now();
    // The dead worker's conversations are over: answering them now delivers nothing.
    await waitFor("the killed worker's connections to close", () => stack.smtp.heldAbandoned() === stack.smtp.held(), { timeoutMs: 10_000, intervalMs: 10 });
    const inFlight = stack.smtp.held();
    stack.smtp.releaseHeld();
    stack.smtp.setBehaviour({ kind: 'accept' });

    await stack.restartWorker();
    await stack.quiet(90_000);
    await sleep(500);
    const mail = await mailFigures(stack);
    console.log(
      `DRILL worker-kill: comment events ${mail.events}, delivered before the kill ${delivered.length}, in flight at the kill ${inFlight}, ` +
        `dropped by the server ${stack.smtp.dropped.length}, all done ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill, ` +
        `mails ${mail.mails}, events lost ${mail.lost}, duplicates ${mail.duplicates}${mail.duplicated.length ? ` (${mail.duplicated.join(' ')})` : ''}`,
    );
    expect(mail.events).toBe(18);
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.length).toBeLessThan(18);
    expect(stack.smtp.dropped.length).toBe(inFlight);
    expect(mail.lost).toBe(0);
    expect(mail.duplicated).toEqual([]);
    const pending = await stack.database.outbox('completed_at IS NULL');
    expect(pending).toEqual([]);
  });
});
