import { type LiveSearchEngine, startSearchNode } from './search-node';

/**
 * Jest global setup of the live search step (scripts/test-search-live.mjs): one node of
 * SEARCH_LIVE_ENGINE for every suite of the run, named to them by the engine's setting, and
 * stopped by search-live.global-teardown.ts.
 */
export default async function startLiveSearchNode(): Promise<void> {
  const named = process.env.SEARCH_LIVE_ENGINE ?? '';
  if (named !== 'elasticsearch' && named !== 'opensearch') throw new Error(`SEARCH_LIVE_ENGINE must be elasticsearch or opensearch, not "${named}"`);
  const engine: LiveSearchEngine = named;
  const node = await startSearchNode(engine);
  console.log(`\nsearch-live: ${engine} ${node.version} answers on ${node.url} after ${node.startSeconds.toFixed(1)} s`);
  if (engine === 'elasticsearch') process.env.ELASTICSEARCH_NODE = node.url;
  else Object.assign(process.env, { SEARCH_ENGINE: 'opensearch', OPENSEARCH_NODE: node.url });
  (globalThis as { liveSearchNode?: typeof node }).liveSearchNode = node;
}
