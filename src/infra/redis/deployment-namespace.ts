import { createHash } from 'node:crypto';

/**
 * What identifies a deployment's data: the PostgreSQL cluster (its system identifier, the same
 * on a streaming replica and after a failover to it), the database (name and object id, new when
 * it is dropped and created again or restored into a new database) and the outbox table (new when
 * the schema is created again, as a reset or a restore of a dump does). Ids restart exactly when
 * one of these changes, so none of a predecessor's queues, jobs or "already sent" marks can match.
 */
const IDENTITY_SQL = `
  SELECT current_database() AS name, d.oid::text AS database_oid,
         coalesce(to_regclass('outbox_events')::oid::text, '') AS outbox_oid, %CLUSTER% AS cluster
  FROM pg_database d WHERE d.datname = current_database()`;
const WITH_CLUSTER = IDENTITY_SQL.replace('%CLUSTER%', '(SELECT system_identifier::text FROM pg_control_system())');
/** For a role that may not read pg_control_system(): the database's identity alone. */
const WITHOUT_CLUSTER = IDENTITY_SQL.replace('%CLUSTER%', `''`);

export interface DatabaseIdentity {
  name: string;
  database_oid: string;
  outbox_oid: string;
  cluster: string;
}

/**
 * Everything a deployment keeps in Redis lives under one namespace, so that deployments can share
 * a Redis, and a database reset or restored while Redis is kept starts from nothing: the response
 * cache, BullMQ's queues (and with them every job id), the mail "already sent" marks, rate-limit
 * counters and pub/sub channels. Mail message ids carry the same identity (see `messageId`).
 */
export class DeploymentNamespace {
  /** `conduit:<database name>:<identity hash>`, readable in `redis-cli --scan`. */
  readonly prefix: string;

  constructor(
    readonly database: string,
    /** A short hash of the database's identity: unique across clusters, databases and resets. */
    readonly tag: string,
  ) {
    this.prefix = `conduit:${database}:${tag}`;
  }

  static of(identity: DatabaseIdentity): DeploymentNamespace {
    const tag = createHash('sha256').update(`${identity.cluster}/${identity.database_oid}/${identity.outbox_oid}`).digest('hex').slice(0, 12);
    return new DeploymentNamespace(identity.name, tag);
  }

  /** A key of this deployment: `<prefix>:<parts joined by ':'>`. */
  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /**
   * BullMQ's prefix. Hash-tagged, because in Redis Cluster BullMQ's scripts touch several keys of a
   * queue at once, and those must share a slot; every queue of a deployment lands on the same one.
   */
  get queuePrefix(): string {
    return `{${this.prefix}}`;
  }

  /**
   * A globally unique message id (RFC 5322 section 3.6.4) for a mail whose `key` is unique within
   * the deployment (`welcome.42`): the deployment's tag makes it unique across deployments and
   * resets, the sender's domain across everyone else's mail.
   */
  messageId(key: string, senderDomain: string): string {
    return `<${key}.${this.tag}@${senderDomain}>`;
  }
}

/** The namespace of the database a query function talks to (Prisma's $queryRawUnsafe, or pg's). */
export async function readDeploymentNamespace(query: (sql: string) => Promise<DatabaseIdentity[]>): Promise<DeploymentNamespace> {
  const rows = await query(WITH_CLUSTER).catch(() => query(WITHOUT_CLUSTER));
  return DeploymentNamespace.of(rows[0]);
}

/** The domain of a sender such as `Conduit <no-reply@conduit.example>`, the right-hand side of message ids. */
export function senderDomain(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const domain = address.slice(address.lastIndexOf('@') + 1).trim();
  return /^[A-Za-z0-9.-]+$/.test(domain) ? domain : 'conduit.local';
}
