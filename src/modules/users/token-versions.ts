import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Cluster, Redis } from 'ioredis';
import type { Environment } from '@/config/environment';
import { DeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { createFailFastRedisConnection } from '@/infra/redis/redis-connection';
import { UsersRepository } from './users.repository';

/**
 * How long Redis remembers a user's token version. Bounds how long an older token could still be
 * accepted should recording a change in Redis fail (a change normally takes effect at once).
 */
export const TOKEN_VERSION_CACHE_SECONDS = 60;
const TOKEN_VERSION_READ_TIMEOUT_MS = 250;

/** The deployment's own key: user ids repeat across deployments sharing one Redis. */
export function tokenVersionKey(namespace: DeploymentNamespace, userId: number): string {
  return namespace.key('token-version', String(userId));
}

/**
 * The current token version of each user (`users.token_version`): a token issued under an older
 * one is refused. Read on every authenticated request, so it is kept in Redis, shared by every api
 * replica, and read from PostgreSQL only on a miss or while Redis is unavailable. A change writes
 * the new version over the cached one right after its commit; a miss fills the cache only if
 * nothing is there yet (SET NX), so a reader that read the old version just before the commit
 * cannot put it back.
 */
@Injectable()
export class TokenVersions implements OnModuleDestroy {
  private readonly logger = new Logger('TokenVersions');
  private readonly redis: Redis | Cluster;
  private warned = false;
  /** While Redis fails, it is left alone for a moment: a hung Redis must not add its timeout to every request. */
  private bypassUntil = 0;

  constructor(
    @Inject(ConfigService) config: ConfigService<Environment, true>,
    private readonly users: UsersRepository,
    private readonly namespace: DeploymentNamespace,
  ) {
    // A short timeout of its own: PostgreSQL answers whenever Redis does not, and every signed-in
    // request waits for this read, so a hung Redis must cost it little.
    this.redis = createFailFastRedisConnection(config, TOKEN_VERSION_READ_TIMEOUT_MS);
    this.redis.on('error', (error: Error) => this.warnOnce(error));
    this.redis.on('ready', () => (this.warned = false));
  }

  /**
   * Whether a token of `userId` issued under `version` is still good. Redis can only confirm: when
   * it remembers another version, PostgreSQL decides, so a stale entry (one left by a database
   * emptied under the same namespace, say) never refuses a valid token; it expires on its own.
   */
  async accepts(userId: number, version: number): Promise<boolean> {
    const cached = Date.now() < this.bypassUntil ? undefined : await this.redis.get(tokenVersionKey(this.namespace, userId)).catch((error: Error) => this.warnOnce(error));
    if (cached === String(version)) return true;
    const current = await this.users.tokenVersionOf(userId);
    if (current === undefined) return false;
    // Filled only where nothing is remembered (SET NX): a reader that read the old version just
    // before a change committed must not put it back over the new one.
    if (cached === null) {
      await this.redis.set(tokenVersionKey(this.namespace, userId), String(current), 'EX', TOKEN_VERSION_CACHE_SECONDS, 'NX').catch((error: Error) => this.warnOnce(error));
    }
    return current === version;
  }

  /** Records a version just committed, so that every replica refuses the older tokens at once. */
  async changed(userId: number, version: number): Promise<void> {
    await this.redis.set(tokenVersionKey(this.namespace, userId), String(version), 'EX', TOKEN_VERSION_CACHE_SECONDS).catch((error: Error) => this.warnOnce(error));
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }

  private warnOnce(error: Error): undefined {
    this.bypassUntil = Date.now() + 2_000;
    if (!this.warned) {
      this.warned = true;
      this.logger.warn(`Token versions read from PostgreSQL while Redis is unavailable: ${error.message}`);
    }
    return undefined;
  }
}
