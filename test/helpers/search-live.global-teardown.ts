import type { SearchNode } from './search-node';

/** Stops the node of search-live.global-setup.ts and deletes its data. */
export default async function stopLiveSearchNode(): Promise<void> {
  await (globalThis as { liveSearchNode?: SearchNode }).liveSearchNode?.remove();
}
