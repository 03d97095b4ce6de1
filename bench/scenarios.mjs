// The load scenarios of the benchmarks (bench/run.mjs, bench/capacity.mjs), and how to drive them
// with autocannon against a running api on the benchmark data set (bench/generate-data.mjs).
import autocannon from 'autocannon';
import { BENCH_PASSWORD, BENCH_TAG, benchEmail, benchUsername } from './generate-data.mjs';

/** An author of the data set with published articles: the profile, ?author= and ?favorited= scenarios read theirs. */
export const BENCH_AUTHOR = benchUsername(42);

/**
 * `{slug}` in a path stands for one published article of the data set (see `findSlug`).
 * `signedIn` scenarios send a bench user's token, the next one in turn for each request.
 * `vary(n, context)` makes the n-th request of a write different from the others (its own
 * article title, its own article to favorite), so that every request does the write it names.
 */
export const SCENARIOS = [
  { name: 'list', path: '/api/articles?limit=20' },
  { name: 'list ?tag=', path: `/api/articles?tag=${BENCH_TAG}&limit=20` },
  { name: 'list ?author=', path: `/api/articles?author=${BENCH_AUTHOR}` },
  { name: 'list ?favorited=', path: `/api/articles?favorited=${BENCH_AUTHOR}` },
  { name: 'article', path: '/api/articles/{slug}' },
  { name: 'tags', path: '/api/tags' },
  { name: 'profile', path: `/api/profiles/${BENCH_AUTHOR}` },
  { name: 'list (signed in)', path: '/api/articles?limit=20', signedIn: true },
  { name: 'article (signed in)', path: '/api/articles/{slug}', signedIn: true },
  { name: 'feed (signed in)', path: '/api/articles/feed?limit=20', signedIn: true },
  {
    name: 'write: comment',
    path: '/api/articles/{slug}/comments',
    signedIn: true,
    method: 'POST',
    body: JSON.stringify({ comment: { body: 'Benchmark comment' } }),
  },
  {
    name: 'write: article',
    path: '/api/articles',
    signedIn: true,
    method: 'POST',
    // A body as long as the data set's (40 to 80 words), tags that exist: no tag is created.
    vary: (n, { run }) => ({
      body: JSON.stringify({
        article: {
          title: `Capacity bench ${run} ${n}`,
          description: 'An article written by the capacity benchmark.',
          body: 'Measured writes carry a body as long as the generated articles do. '.repeat(6),
          tagList: [BENCH_TAG],
        },
      }),
    }),
  },
  {
    name: 'write: favorite',
    path: '/api/articles/{slug}/favorite',
    signedIn: true,
    method: 'POST',
    // Request n is user n mod U's favorite of article n div U: no pair repeats (a repeat changes nothing).
    vary: (n, { slugs, users }) => ({ path: `/api/articles/${slugs[Math.floor(n / users) % slugs.length]}/favorite` }),
  },
];

/** A bench user's token (users are numbered from 1). */
export async function login(base, n) {
  const response = await fetch(`${base}/api/users/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: { email: benchEmail(n), password: BENCH_PASSWORD } }),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status}`);
  return (await response.json()).user.token;
}

/** The slug of a published article by BENCH_AUTHOR, through the api. */
export async function findSlug(base) {
  const listed = await (await fetch(`${base}/api/articles?author=${BENCH_AUTHOR}&limit=1`)).json();
  const slug = listed.articles?.[0]?.slug;
  if (!slug) throw new Error(`the bench data has no published article by ${BENCH_AUTHOR}: drop the bench database and run again`);
  return slug;
}

/**
 * Runs `scenario` against `base` for `duration` seconds over `connections` connections; resolves
 * to autocannon's result. `context` carries what paths and bodies need: `tokens` (signed-in
 * requests rotate through them), `slug`, and whatever the scenario's `vary` reads. Requests are
 * numbered across the loads of one context, so that a warm-up and the run after it never send
 * the same write.
 */
export function load(base, scenario, context, { connections, duration }) {
  const { tokens = [], slug } = context;
  context.requestsSent ??= 0;
  const withSlug = (path) => path.replace('{slug}', slug);
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${base}${withSlug(scenario.path)}`,
        method: scenario.method ?? 'GET',
        body: scenario.body,
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (request) => {
              const n = context.requestsSent++;
              const varied = scenario.vary?.(n, { ...context, users: tokens.length }) ?? {};
              return {
                ...request,
                ...(varied.path && { path: withSlug(varied.path) }),
                ...(varied.body && { body: varied.body }),
                headers: { ...request.headers, ...(scenario.signedIn && { authorization: `Token ${tokens[n % tokens.length]}` }) },
              };
            },
          },
        ],
        connections,
        duration,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}
