import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Cluster, Redis } from 'ioredis';
import type { Environment } from '@/config/environment';
import { DeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { createFailFastRedisConnection } from '@/infra/redis/redis-connection';
import { ReadReplicas } from './read-replicas';
import { parseSortableWalPosition, sortableWalPosition, UNREPLAYABLE, WalPosition } from './wal-position';

/** Every signed-in read on a replica route waits for this read: a hung Redis must cost it little. */
const READ_TIMEOUT_MS = 250;
/** After a failed read, Redis is left alone this long (signed-in reads go to the primary meanwhile). */
const BYPASS_MS = 2_000;

/**
 * Raises the remembered position, never lowers it: two writes of one user finishing in another
 * order on two api processes leave the later position. Positions are compared as fixed-width hex
 * strings (Lua's numbers are doubles). The window restarts at every write.
 */
const RAISE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if (not current) or current < ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`;

/**
 * Read-your-writes across api processes. Chosen over a fixed time window: after a user writes,
 * Redis keeps, for DATABASE_READ_YOUR_WRITES_MS, where the primary's WAL stood right after the
 * write (`pg_current_wal_lsn()`, at or past the write's commit); that user's reads may then go to
 * a replica only if it has been seen to replay that far, else to the primary. A replica that is
 * only a few milliseconds behind thus serves the writer again at its next check, and no guess of
 * the lag is needed: the window only bounds how long the key lives (past it, every replica still
 * in use has replayed the write, since none may lag more than DATABASE_REPLICA_MAX_LAG_MS).
 *
 * When Redis cannot say, signed-in readers go to the primary: after a failed read for a moment,
 * after a failed write for the whole window (this process only: another one cannot know).
 */
@Injectable()
export class ReadYourWrites implements OnModuleDestroy {
  private readonly logger = new Logger('ReadYourWrites');
  private readonly redis?: Redis | Cluster;
  private readonly windowMs: number;
  private unsureUntil = 0;
  private warned = false;

  constructor(
    @Inject(ConfigService) config: ConfigService<Environment, true>,
    private readonly namespace: DeploymentNamespace,
    private readonly replicas: ReadReplicas,
  ) {
    this.windowMs = config.get('DATABASE_READ_YOUR_WRITES_MS', { infer: true });
    if (!replicas.configured) return;
    this.redis = createFailFastRedisConnection(config, READ_TIMEOUT_MS);
    this.redis.on('error', (error: Error) => this.warnOnce(error));
    this.redis.on('ready', () => (this.warned = false));
  }

  /** Records that `userId` has just written (call it after the write returned). */
  async wrote(userId: number): Promise<void> {
    if (!this.redis) return;
    const position = (await this.replicas.primaryPosition()) ?? UNREPLAYABLE;
    try {
      await this.redis.eval(RAISE_SCRIPT, 1, this.key(userId), sortableWalPosition(position), String(this.windowMs));
    } catch (error) {
      this.unsureUntil = Math.max(this.unsureUntil, Date.now() + this.windowMs);
      this.warnOnce(error as Error);
    }
  }

  /** Where `userId`'s last write within the window ended: 0 when none, UNREPLAYABLE when it cannot be known. */
  async positionOf(userId: number): Promise<WalPosition> {
    if (!this.redis || Date.now() < this.unsureUntil) return this.redis ? UNREPLAYABLE : 0n;
    try {
      const value = await this.redis.get(this.key(userId));
      return value === null ? 0n : (parseSortableWalPosition(value) ?? UNREPLAYABLE);
    } catch (error) {
      this.unsureUntil = Math.max(this.unsureUntil, Date.now() + BYPASS_MS);
      this.warnOnce(error as Error);
      return UNREPLAYABLE;
    }
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }

  /** The deployment's own key: user ids repeat across deployments sharing one Redis. */
  private key(userId: number): string {
    return this.namespace.key('read-your-writes', String(userId));
  }

  private warnOnce(error: Error): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn(`Signed-in reads go to the primary while Redis is unavailable: ${error.message}`);
  }
}
