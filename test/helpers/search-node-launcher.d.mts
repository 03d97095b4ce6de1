import type { ChildProcess } from 'node:child_process';

export type LiveSearchEngine = 'elasticsearch' | 'opensearch';

export declare const LIVE_SEARCH_ENGINES: readonly LiveSearchEngine[];

export interface SearchNode {
  engine: LiveSearchEngine;
  version: string;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Seconds the last start took, until the node answered. */
  startSeconds: number;
  /** Starts the node (again, on the same port and data); resolves once it answers. */
  start(): Promise<void>;
  /** A clean shutdown. */
  stop(): Promise<void>;
  /** SIGKILL to the node's JVM, as a crash or the OOM killer would; resolves once nothing listens. */
  kill(): Promise<void>;
  /** Stops the node and deletes its data. */
  remove(): Promise<void>;
}

export interface SearchNodeOptions {
  /** Takes each started process under the caller's care; returns how to stop it (SIGTERM by default). */
  keep?: (child: ChildProcess) => (signal?: NodeJS.Signals) => Promise<void>;
  /** The node's JVM options; by default `-Xms512m -Xmx512m -XX:TieredStopAtLevel=1`. */
  javaOptions?: string;
}

export declare function engineVersion(engine: LiveSearchEngine): string;
/** The tools a node needs that this machine lacks (java, mvn): empty when it can run one. */
export declare function missingSearchNodeTools(): string[];
/** Whether this machine has what a node needs (java and mvn on the PATH). */
export declare function canRunSearchNode(): boolean;
/** Thrown when this machine cannot run a node (no Java or no Maven): the caller says so in one line. */
export declare class SearchNodeUnavailable extends Error {}
/** Starts a single node of `engine`; throws SearchNodeUnavailable when the machine has no Java or Maven. */
export declare function startSearchNode(engine: LiveSearchEngine, options?: SearchNodeOptions): Promise<SearchNode>;
