import { adoptChild } from './child-processes';
import { type LiveSearchEngine, type SearchNode, startSearchNode as launch } from './search-node-launcher.mjs';

/**
 * A real search node of its own for the live suites and drills (search-node-launcher.mjs, shared
 * with the search benchmark), its processes under child-processes.ts's care: stopped by
 * `stopAll()`, and killed if the test process exits first.
 */
export { canRunSearchNode, type LiveSearchEngine, type SearchNode, SearchNodeUnavailable } from './search-node-launcher.mjs';

/** Starts a single node of `engine`; throws SearchNodeUnavailable when the machine has no Java or Maven. */
export function startSearchNode(engine: LiveSearchEngine): Promise<SearchNode> {
  return launch(engine, { keep: adoptChild });
}
