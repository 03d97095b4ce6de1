import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { catchError, concatMap, from, map, Observable, throwError } from 'rxjs';
import type { AuthenticatedRequest } from '@/common/auth/auth.decorators';
import { ReadReplicas } from './read-replicas';
import { ReadYourWrites } from './read-your-writes';
import { ReplicaReadScope, replicaScope, WriteScope, writeScope } from './replica-scope';
import type { WalPosition } from './wal-position';

const REPLICA_READS = 'conduit:replica-reads';
const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * The route's reads tolerate replica lag (a published page, not something the caller is about to
 * change): with DATABASE_REPLICA_URLS they may go to a replica, except a signed-in viewer's
 * within DATABASE_READ_YOUR_WRITES_MS of a write of theirs (see ReadYourWrites).
 */
export function ReplicaReads(): MethodDecorator {
  return SetMetadata(REPLICA_READS, true);
}

/**
 * With replicas configured: opens the replica scope of `@ReplicaReads()` routes (ReadReplicas
 * routes the reads inside it), and after every request that may write (any other method) records
 * that its viewer, or the user it registered, wrote. Recorded before the answer leaves, so that the
 * client's next request, to whichever api process, already knows; recorded on failure too, since
 * a failed request may have written part of its work.
 */
@Injectable()
export class ReplicaReadsInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly replicas: ReadReplicas,
    private readonly writes: ReadYourWrites,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.replicas.configured || context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (READ_METHODS.has(request.method)) {
      if (!this.reflector.get<boolean | undefined>(REPLICA_READS, context.getHandler())) return next.handle();
      const viewer = request.viewer;
      let writer: Promise<WalPosition> | undefined;
      const scope: ReplicaReadScope = {
        fill: 0n,
        writer: () => (viewer ? (writer ??= this.writes.positionOf(viewer.id)) : Promise.resolve(0n)),
      };
      return replicaScope.run(scope, () => next.handle());
    }
    const scope: WriteScope = {};
    const record = (): Promise<void> => {
      const writer = scope.writer ?? request.viewer?.id;
      return writer === undefined ? Promise.resolve() : this.writes.wrote(writer);
    };
    return writeScope.run(scope, () => next.handle()).pipe(
      concatMap((body: unknown) => from(record()).pipe(map(() => body))),
      catchError((error: unknown) => from(record()).pipe(concatMap(() => throwError(() => error)))),
    );
  }
}
