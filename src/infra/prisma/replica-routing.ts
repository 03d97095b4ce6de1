import { UNREPLAYABLE, WalPosition } from './wal-position';

/**
 * The pure part of the replica read path: how far behind the primary a replica is, whether it may
 * serve, and which one serves a read. Kept free of I/O so that it is tested on its own.
 */

interface PrimarySample {
  /** When the primary was asked (before the question left: whatever committed earlier is at or before `position`). */
  at: number;
  position: WalPosition;
}

/**
 * The primary's WAL position as recent checks saw it, to turn a replica's replayed position into a
 * time: a replica that has replayed the position the primary had at time t shows every write
 * committed before t, so it is `now - t` behind at most.
 *
 * Lag is measured this way, on positions, rather than from `pg_last_xact_replay_timestamp()`:
 * that timestamp is the commit time of the last transaction replayed, which on an idle primary
 * (no writes for an hour) is an hour old even though the replica lacks nothing.
 */
export class PrimaryTimeline {
  /** Oldest first; positions only grow. Consecutive checks that saw the same position keep the latest time. */
  private readonly samples: PrimarySample[] = [];

  constructor(
    /** How far back samples are kept: past the lag bound, so that a replica older than every sample is out. */
    private readonly keepMs: number,
  ) {}

  record(at: number, position: WalPosition): void {
    const last = this.samples.at(-1);
    if (last && position <= last.position) {
      // The same position seen again (an idle primary): the replica that has it is fresh as of now.
      last.at = at;
    } else {
      this.samples.push({ at, position });
    }
    // The latest sample stays whatever its age: with the primary unreachable, nothing new commits.
    while (this.samples.length > 1 && this.samples[0].at < at - this.keepMs) this.samples.shift();
  }

  /** The latest position the primary was seen at, if ever. */
  get latest(): WalPosition | undefined {
    return this.samples.at(-1)?.position;
  }

  /**
   * How far behind, in ms at `now`, a replica that has replayed `replayed` is: 0 when it has
   * everything the primary had at the last check; else the time since the last sample it has
   * replayed (an upper bound, within one check interval); undefined before the primary was seen.
   */
  lagOf(replayed: WalPosition, now: number): number | undefined {
    const last = this.samples.at(-1);
    if (!last) return undefined;
    if (replayed >= last.position) return 0;
    for (let index = this.samples.length - 2; index >= 0; index -= 1) {
      if (this.samples[index].position <= replayed) return Math.max(0, now - this.samples[index].at);
    }
    // Older than every sample kept: at least as far behind as the oldest one.
    return Math.max(this.keepMs, now - this.samples[0].at);
  }
}

/** What one check read from a replica. */
export type ReplicaProbe =
  | {
      reachable: true;
      inRecovery: boolean;
      replayed: WalPosition | null;
      /** ms since the commit of the last transaction it replayed (its clock against the primary's), if any. */
      replayAgeMs: number | null;
    }
  | { reachable: false; error: string };

export interface ReplicaAssessment {
  healthy: boolean;
  /** ms behind the primary, when known. */
  lagMs?: number;
  /** Why the replica is left out. */
  reason?: string;
}

/** Whether a replica may serve reads, from one probe of it and the primary's timeline. */
export function assessReplica(probe: ReplicaProbe, timeline: PrimaryTimeline, now: number, maxLagMs: number): ReplicaAssessment {
  if (!probe.reachable) return { healthy: false, reason: `unreachable: ${probe.error}` };
  // A promoted replica has stopped following the primary: what it holds diverges from now on.
  if (!probe.inRecovery) return { healthy: false, reason: 'not a standby (promoted?)' };
  if (probe.replayed === null) return { healthy: false, reason: 'has replayed nothing yet' };
  const behind = timeline.lagOf(probe.replayed, now);
  if (behind === undefined) return { healthy: false, reason: 'the primary has not been seen yet' };
  // Behind a busy primary, the timeline's bound is as coarse as the check interval; the age of the
  // last transaction replayed is another bound (whatever it lacks committed later), finer then.
  // It is no bound at all when nothing is missing (an idle primary): there the timeline says 0.
  const lagMs = behind > 0 && probe.replayAgeMs !== null ? Math.max(0, Math.min(behind, Math.round(probe.replayAgeMs))) : behind;
  if (lagMs > maxLagMs) return { healthy: false, lagMs, reason: `${lagMs} ms behind the primary (bound ${maxLagMs} ms)` };
  return { healthy: true, lagMs };
}

/** What the read path knows of a replica when it routes a read. */
export interface ReplicaView {
  healthy: boolean;
  /** The position it was last seen to have replayed (replay only moves forward, so it has at least this). */
  replayed?: WalPosition;
}

/** Why a read that could have gone to a replica went to the primary (a metric label). */
export type PrimaryReason =
  /** No replica is healthy. */
  | 'no-replica'
  /** The viewer wrote recently, and no healthy replica is known to have replayed it yet. */
  | 'read-your-writes'
  /** The viewer is signed in and it is not known whether they wrote recently (Redis did not answer). */
  | 'writer-unknown'
  /** The response cache is being filled, and no healthy replica is known to have replayed the last invalidation. */
  | 'cache-fill';

/** What a read must see: the positions a replica must have replayed to serve it. */
export interface ReadDemand {
  /** Where the viewer's last write ended (0 when none in the window, UNREPLAYABLE when unknown). */
  writer: WalPosition;
  /** Where the invalidations of the response cache entry being filled ended (0 when none). */
  fill: WalPosition;
}

/**
 * The replica that serves a read (its index), or why the primary must: round robin from `turn`
 * among the healthy replicas that have replayed everything the read must see.
 */
export function routeRead(replicas: readonly ReplicaView[], demand: ReadDemand, turn: number): { replica: number } | { primary: PrimaryReason } {
  const needed = demand.writer > demand.fill ? demand.writer : demand.fill;
  let anyHealthy = false;
  for (let step = 0; step < replicas.length; step += 1) {
    const index = (turn + step) % replicas.length;
    const replica = replicas[index];
    if (!replica.healthy || replica.replayed === undefined) continue;
    anyHealthy = true;
    if (needed < UNREPLAYABLE && replica.replayed >= needed) return { replica: index };
  }
  if (!anyHealthy) return { primary: 'no-replica' };
  if (demand.writer >= UNREPLAYABLE) return { primary: 'writer-unknown' };
  return { primary: demand.writer >= demand.fill ? 'read-your-writes' : 'cache-fill' };
}
