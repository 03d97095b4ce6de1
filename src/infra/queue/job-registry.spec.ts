import { defineJobs, JobHandler } from './job-handler';
import { type EnqueuedJob, jobHandlerProblems, JobRegistry } from './job-registry';
import { QUEUES } from './queues';

interface MailJobs {
  welcome: { userId: number };
  goodbye: { userId: number };
}
const MAIL = defineJobs<MailJobs>(QUEUES.mail, { welcome: true, goodbye: true });

interface ScheduledJobs {
  tick: Record<string, never>;
}
const SCHEDULED = defineJobs<ScheduledJobs>(QUEUES.scheduled, { tick: true });

const enqueued = (queue: EnqueuedJob['queue'], ...names: string[]): EnqueuedJob[] => names.map((name) => ({ queue, name, from: 'the test' }));
const ALL = [...enqueued(QUEUES.mail, 'welcome', 'goodbye'), ...enqueued(QUEUES.scheduled, 'tick')];

class Mails {
  readonly sent: number[] = [];

  @JobHandler(MAIL, 'welcome')
  async welcome({ userId }: { userId: number }): Promise<void> {
    this.sent.push(userId);
    return Promise.resolve();
  }

  @JobHandler(MAIL, 'goodbye')
  goodbye(): Promise<void> {
    return Promise.resolve();
  }
}

class Ticks {
  @JobHandler(SCHEDULED, 'tick', { schedule: { id: 'tick', repeat: { every: 1000 } } })
  tick(): Promise<void> {
    return Promise.resolve();
  }
}

class SecondWelcome {
  @JobHandler(MAIL, 'welcome')
  again(): Promise<void> {
    return Promise.resolve();
  }
}

class Features {
  readonly seen: string[] = [];

  @JobHandler(QUEUES.search, /^[a-z]+\.changed$/)
  changed(_data: unknown, job: { name: string }): Promise<void> {
    this.seen.push(job.name);
    return Promise.resolve();
  }
}

describe('JobRegistry', () => {
  it('finds the handler of each job by queue and name, and runs it on its instance', async () => {
    const mails = new Mails();
    const registry = JobRegistry.of([mails, new Ticks()]);

    const welcome = registry.find(QUEUES.mail, 'welcome');
    expect(welcome?.where).toBe('Mails.welcome');
    await welcome!.run({ userId: 7 }, { queue: QUEUES.mail, name: 'welcome' });
    expect(mails.sent).toEqual([7]);
    expect(registry.find(QUEUES.mail, 'tick')).toBeUndefined();
    expect(registry.find(QUEUES.scheduled, 'tick')?.schedule).toEqual({ id: 'tick', repeat: { every: 1000 } });
    expect(registry.queues([QUEUES.mail, QUEUES.search, QUEUES.scheduled])).toEqual([QUEUES.mail, QUEUES.scheduled]);
  });

  it('gives a family of names to its pattern handler, which reads the name from the job', async () => {
    const features = new Features();
    const registry = JobRegistry.of([features]);

    await registry.find(QUEUES.search, 'notes.changed')!.run({}, { queue: QUEUES.search, name: 'notes.changed' });
    expect(features.seen).toEqual(['notes.changed']);
    expect(registry.find(QUEUES.search, 'notes.created')).toBeUndefined();
    expect(registry.find(QUEUES.mail, 'notes.changed')).toBeUndefined();
  });

  it('counts an instance listed twice once (a provider seen from two modules)', () => {
    const mails = new Mails();
    expect(jobHandlerProblems(JobRegistry.of([mails, mails, new Ticks()]), ALL, [QUEUES.mail, QUEUES.scheduled])).toEqual([]);
  });

  it('refuses to pick between two handlers of one job', () => {
    expect(() => JobRegistry.of([new Mails(), new SecondWelcome()]).find(QUEUES.mail, 'welcome')).toThrow(
      'mail job "welcome" has 2 handlers: Mails.welcome, SecondWelcome.again',
    );
  });
});

describe('jobHandlerProblems (the worker start-up check)', () => {
  it('passes when every enqueued job has exactly one handler and every queue has handlers', () => {
    expect(jobHandlerProblems(JobRegistry.of([new Mails(), new Ticks()]), ALL, [QUEUES.mail, QUEUES.scheduled])).toEqual([]);
  });

  it('names a job that is enqueued and has no handler, and where it is enqueued', () => {
    const problems = jobHandlerProblems(JobRegistry.of([new Mails()]), [...ALL, ...enqueued(QUEUES.mail, 'farewell')], [QUEUES.mail]);
    expect(problems).toEqual(['scheduled job "tick" (the test) has no handler', 'mail job "farewell" (the test) has no handler']);
  });

  it('names a job with two handlers, and both handlers', () => {
    const problems = jobHandlerProblems(JobRegistry.of([new Mails(), new SecondWelcome(), new Ticks()]), ALL, [QUEUES.mail, QUEUES.scheduled]);
    expect(problems).toEqual(['mail job "welcome" has 2 handlers: Mails.welcome, SecondWelcome.again']);
  });

  it('finds two handlers of one name even when nothing declares that it is enqueued', () => {
    const problems = jobHandlerProblems(JobRegistry.of([new Mails(), new SecondWelcome()]), [], []);
    expect(problems).toEqual(['mail job "welcome" has 2 handlers: Mails.welcome, SecondWelcome.again']);
  });

  it('counts a pattern handler as a handler of the names it matches: a named handler beside it is a second one', () => {
    class ChangedNotes {
      @JobHandler(QUEUES.search, /^notes\.changed$/)
      notes(): Promise<void> {
        return Promise.resolve();
      }
    }
    const enqueuedChanges = enqueued(QUEUES.search, 'notes.changed', 'lists.changed');
    expect(jobHandlerProblems(JobRegistry.of([new Features()]), enqueuedChanges, [QUEUES.search])).toEqual([]);
    expect(jobHandlerProblems(JobRegistry.of([new Features(), new ChangedNotes()]), enqueuedChanges, [QUEUES.search])).toEqual([
      'search job "notes.changed" has 2 handlers: Features.changed, ChangedNotes.notes',
    ]);
  });

  it('names the same pattern claimed twice', () => {
    expect(jobHandlerProblems(JobRegistry.of([new Features(), new Features()]), [], [QUEUES.search])).toEqual([
      'search jobs /^[a-z]+\\.changed$/ have 2 handlers: Features.changed, Features.changed',
    ]);
  });

  it('names a queue nobody takes jobs from (a worker module not imported)', () => {
    expect(jobHandlerProblems(JobRegistry.of([new Mails()]), enqueued(QUEUES.mail, 'welcome'), [QUEUES.mail, QUEUES.media])).toEqual([
      'queue "media" has no handler at all (is its feature\'s worker module imported by the worker?)',
    ]);
  });
});
