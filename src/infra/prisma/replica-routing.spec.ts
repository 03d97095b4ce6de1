import { assessReplica, PrimaryTimeline, ReplicaProbe, routeRead } from './replica-routing';
import { formatWalPosition, parseSortableWalPosition, parseWalPosition, sortableWalPosition, UNREPLAYABLE } from './wal-position';

describe('WAL positions', () => {
  it('parse as PostgreSQL writes them, and back', () => {
    expect(parseWalPosition('0/0')).toBe(0n);
    expect(parseWalPosition('16/B374D848')).toBe(0x16b374d848n);
    expect(formatWalPosition(0x16b374d848n)).toBe('16/B374D848');
    expect(() => parseWalPosition('nonsense')).toThrow('not a WAL position');
  });

  it('sort as text in number order, for Redis', () => {
    const positions = [parseWalPosition('0/FFFFFFFF'), parseWalPosition('1/0'), parseWalPosition('A/1'), parseWalPosition('10/0')];
    const texts = positions.map(sortableWalPosition);
    expect([...texts].sort()).toEqual(texts);
    expect(texts.map(parseSortableWalPosition)).toEqual(positions);
    expect(sortableWalPosition(UNREPLAYABLE) > sortableWalPosition(parseWalPosition('FFFFFFFF/FFFFFFFE'))).toBe(true);
    expect(parseSortableWalPosition(sortableWalPosition(UNREPLAYABLE))).toBe(UNREPLAYABLE);
    expect(parseSortableWalPosition('not-hex')).toBeUndefined();
  });
});

describe('PrimaryTimeline', () => {
  it('says 0 for a replica that has what the primary had at the last check, however long the primary has been idle', () => {
    const timeline = new PrimaryTimeline(10_000);
    for (let at = 0; at <= 3_600_000; at += 1_000) timeline.record(at, 500n);
    expect(timeline.lagOf(500n, 3_600_500)).toBe(0);
  });

  it('dates a replica behind by the last sample it has replayed', () => {
    const timeline = new PrimaryTimeline(10_000);
    timeline.record(1_000, 100n);
    timeline.record(2_000, 200n);
    timeline.record(3_000, 300n);
    expect(timeline.lagOf(250n, 3_100)).toBe(1_100);
    expect(timeline.lagOf(200n, 3_100)).toBe(1_100);
    expect(timeline.lagOf(100n, 3_100)).toBe(2_100);
  });

  it('keeps samples for its span only, and a replica older than all of them is at least that far behind', () => {
    const timeline = new PrimaryTimeline(5_000);
    for (let at = 0; at <= 20_000; at += 1_000) timeline.record(at, BigInt(at));
    expect(timeline.lagOf(0n, 20_000)).toBeGreaterThanOrEqual(5_000);
    expect(timeline.lagOf(19_000n, 20_000)).toBe(1_000);
  });

  it('keeps the last sample while the primary is not seen, and knows nothing before the first', () => {
    const timeline = new PrimaryTimeline(5_000);
    expect(timeline.lagOf(0n, 0)).toBeUndefined();
    timeline.record(0, 10n);
    expect(timeline.latest).toBe(10n);
    expect(timeline.lagOf(10n, 600_000)).toBe(0);
  });
});

describe('assessReplica', () => {
  const timeline = new PrimaryTimeline(10_000);
  timeline.record(0, 100n);
  timeline.record(1_000, 200n);
  const standby = (replayed: bigint | null, replayAgeMs: number | null = null): ReplicaProbe => ({ reachable: true, inRecovery: true, replayed, replayAgeMs });

  it('keeps a standby within the bound', () => {
    expect(assessReplica(standby(200n), timeline, 1_200, 500)).toEqual({ healthy: true, lagMs: 0 });
    // An old last transaction says nothing when nothing is missing (an idle primary).
    expect(assessReplica(standby(200n, 3_600_000), timeline, 1_200, 500)).toEqual({ healthy: true, lagMs: 0 });
  });

  it('leaves out a replica behind the bound, unreachable, promoted, or with nothing replayed', () => {
    expect(assessReplica(standby(150n), timeline, 1_200, 500)).toMatchObject({ healthy: false, lagMs: 1_200, reason: '1200 ms behind the primary (bound 500 ms)' });
    expect(assessReplica({ reachable: false, error: 'connect ECONNREFUSED' }, timeline, 1_200, 500)).toEqual({ healthy: false, reason: 'unreachable: connect ECONNREFUSED' });
    expect(assessReplica({ reachable: true, inRecovery: false, replayed: null, replayAgeMs: null }, timeline, 1_200, 500).healthy).toBe(false);
    expect(assessReplica(standby(null), timeline, 1_200, 500).healthy).toBe(false);
    expect(assessReplica(standby(100n), new PrimaryTimeline(1_000), 0, 500)).toMatchObject({ healthy: false, reason: 'the primary has not been seen yet' });
  });

  it('takes the age of the last replayed transaction as the finer bound behind a busy primary', () => {
    expect(assessReplica(standby(150n, 40), timeline, 1_200, 500)).toEqual({ healthy: true, lagMs: 40 });
    expect(assessReplica(standby(150n, 900), timeline, 1_200, 500)).toMatchObject({ healthy: false, lagMs: 900 });
  });
});

describe('routeRead', () => {
  const healthy = (replayed: bigint) => ({ healthy: true, replayed });
  const none = { writer: 0n, fill: 0n };

  it('takes turns among the healthy replicas', () => {
    const replicas = [healthy(10n), { healthy: false, replayed: 10n }, healthy(10n)];
    expect([0, 1, 2, 3].map((turn) => routeRead(replicas, none, turn))).toEqual([{ replica: 0 }, { replica: 2 }, { replica: 2 }, { replica: 0 }]);
  });

  it('sends a recent writer only to a replica that has replayed their write, else to the primary', () => {
    const replicas = [healthy(100n), healthy(300n)];
    expect(routeRead(replicas, { writer: 200n, fill: 0n }, 0)).toEqual({ replica: 1 });
    expect(routeRead(replicas, { writer: 400n, fill: 0n }, 0)).toEqual({ primary: 'read-your-writes' });
    expect(routeRead(replicas, { writer: UNREPLAYABLE, fill: 0n }, 0)).toEqual({ primary: 'writer-unknown' });
  });

  it('fills the cache only from a replica past the last invalidation', () => {
    const replicas = [healthy(100n), healthy(300n)];
    expect(routeRead(replicas, { writer: 0n, fill: 300n }, 0)).toEqual({ replica: 1 });
    expect(routeRead(replicas, { writer: 0n, fill: 301n }, 0)).toEqual({ primary: 'cache-fill' });
    expect(routeRead(replicas, { writer: 0n, fill: UNREPLAYABLE }, 0)).toEqual({ primary: 'cache-fill' });
  });

  it('goes to the primary when no replica is healthy, or none is known', () => {
    expect(routeRead([{ healthy: false, replayed: 10n }], none, 0)).toEqual({ primary: 'no-replica' });
    expect(routeRead([{ healthy: true }], none, 0)).toEqual({ primary: 'no-replica' });
    expect(routeRead([], none, 0)).toEqual({ primary: 'no-replica' });
  });
});
