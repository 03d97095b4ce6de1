import type { Response, Test } from 'supertest';
import type { Account, ConduitClient } from './worker';

/**
 * A steady load of reads and writes against an api process, for the fault drills: each of
 * `concurrency` loops sends one request after another (list articles, read one, list tags, post a
 * comment) and records when it started, when it ended and its status (0 when no answer came).
 */

export interface Sample {
  startedAt: number;
  endedAt: number;
  method: string;
  path: string;
  /** HTTP status, or 0 for a failed connection or a timeout. */
  status: number;
  body: string;
  /** The Retry-After header, when the answer had one. */
  retryAfter?: string;
  /** Which of several api processes it went to (its index), when a drill runs more than one. */
  target?: number;
}

/**
 * Sends one request (15 s for the answer, 20 s in all) and describes it as a sample; `response`
 * is the answer, if one came (whatever its status).
 */
export async function sendTimed(request: Test, method: string, path: string, target?: number): Promise<{ sample: Sample; response?: Response }> {
  const startedAt = Date.now();
  let response: Response | undefined;
  let failure = '';
  try {
    response = await request.timeout({ response: 15_000, deadline: 20_000 });
  } catch (error) {
    response = (error as { response?: Response }).response;
    failure = String((error as Error).message);
  }
  const sample: Sample = {
    startedAt,
    endedAt: Date.now(),
    method,
    path,
    status: response?.status ?? 0,
    body: response ? (response.text?.slice(0, 300) ?? '') : failure,
    retryAfter: response?.headers['retry-after'],
    ...(target !== undefined && { target }),
  };
  return { sample, response };
}

export interface Load {
  samples: Sample[];
  /** Stops sending and resolves once every request in flight has ended. */
  stop(): Promise<Sample[]>;
}

export interface LoadOptions {
  concurrency?: number;
  /** Every `writeEvery`-th request of a loop is a comment (a write and, later, a mail). */
  writeEvery?: number;
  /** Pause between two requests of a loop. */
  pauseMs?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts the load: readers and `commenters` commenting on `slug` (written by someone else, so that each comment mails its author). */
export function startLoad(client: ConduitClient, slug: string, commenters: Account[], { concurrency = 4, writeEvery = 3, pauseMs = 20 }: LoadOptions = {}): Load {
  const samples: Sample[] = [];
  let running = true;
  const loop = async (index: number): Promise<void> => {
    for (let step = 0; running; step += 1) {
      const commenter = commenters[(index + step) % commenters.length];
      const write = step % writeEvery === writeEvery - 1;
      const reads = ['/api/articles?limit=5', `/api/articles/${slug}`, '/api/tags', `/api/articles/${slug}/comments`];
      const path = write ? `/api/articles/${slug}/comments` : reads[step % reads.length];
      const call = write
        ? client.call('post', path, commenter).send({ comment: { body: `Comment ${index}.${step}` } })
        : client.call('get', path, step % 2 === 0 ? commenter : undefined);
      samples.push((await sendTimed(call, write ? 'POST' : 'GET', path)).sample);
      await sleep(pauseMs);
    }
  };
  const loops = Array.from({ length: concurrency }, (_unused, index) => loop(index));
  return {
    samples,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return samples;
    },
  };
}

export interface LoadFigures {
  requests: number;
  /** Answers with a 5xx status. */
  serverErrors: number;
  /** 5xx answers other than 503. */
  otherServerErrors: number;
  /** Requests that got no answer at all. */
  noAnswer: number;
  /** Seconds from the first failed request's start to the last one's end (0 when none failed). */
  errorWindowSeconds: number;
}

export function figuresOf(samples: Sample[]): LoadFigures {
  const failed = samples.filter((sample) => sample.status >= 500 || sample.status === 0);
  const first = Math.min(...failed.map((sample) => sample.startedAt));
  const last = Math.max(...failed.map((sample) => sample.endedAt));
  return {
    requests: samples.length,
    serverErrors: samples.filter((sample) => sample.status >= 500).length,
    otherServerErrors: samples.filter((sample) => sample.status >= 500 && sample.status !== 503).length,
    noAnswer: samples.filter((sample) => sample.status === 0).length,
    errorWindowSeconds: failed.length === 0 ? 0 : Number(((last - first) / 1000).toFixed(1)),
  };
}
