import { AsyncLocalStorage } from 'node:async_hooks';
import type { WalPosition } from './wal-position';

/**
 * The request a read belongs to, as far as replicas are concerned. Only a route marked
 * `@ReplicaReads()` opens a replica scope; every read outside one (writes and what they read, the
 * worker, the command line, authentication) goes to the primary, whatever repository it uses.
 */
export interface ReplicaReadScope {
  /** Where the viewer's last write ended (see ReadYourWrites), asked at most once, by the first read that needs it. */
  writer(): Promise<WalPosition>;
  /** Raised by the response cache before it fills an entry (see requireReplayed). */
  fill: WalPosition;
}

export const replicaScope = new AsyncLocalStorage<ReplicaReadScope>();

/**
 * The reads that follow in this request must see everything up to `position()` (computed only in
 * a replica scope): the response cache
 * calls it with the position of the last invalidation of the entry it is about to fill, so that a
 * replica behind that invalidation never fills the entry with what the invalidation retired.
 */
export function requireReplayed(position: () => WalPosition): void {
  const scope = replicaScope.getStore();
  if (!scope) return;
  const needed = position();
  if (needed > scope.fill) scope.fill = needed;
}

/**
 * Who writes in this request, for the requests that write without a signed-in viewer
 * (registration): their reads that follow are then read-your-writes too. See ReplicaReadsInterceptor.
 */
export interface WriteScope {
  writer?: number;
}

export const writeScope = new AsyncLocalStorage<WriteScope>();

/** Records that `userId` writes in the current request (no-op outside a request that writes). */
export function writtenBy(userId: number): void {
  const scope = writeScope.getStore();
  if (scope) scope.writer = userId;
}
