import { fillPosition, newTagVersion } from './cache-store.service';
import { UNREPLAYABLE } from '@/infra/prisma/wal-position';

describe('tag versions and replica fills', () => {
  it('are random without replicas, and ask nothing of a replica', () => {
    const version = newTagVersion(undefined);
    expect(version).toMatch(/^[0-9a-f-]{36}$/);
    expect(newTagVersion(undefined)).not.toBe(version);
  });

  it('carry the primary position with replicas: a fill needs a replica past the latest of them', () => {
    const versions = { epoch: null, articles: newTagVersion(0x10n), 'article:a': newTagVersion(0x2an) };
    expect(fillPosition(versions)).toBe(0x2an);
    expect(fillPosition({ epoch: null })).toBe(0n);
    expect(newTagVersion(0x10n)).not.toBe(newTagVersion(0x10n));
  });

  it('send the fill to the primary when a version says nothing of where the primary stood', () => {
    expect(fillPosition({ articles: newTagVersion(0x10n), epoch: newTagVersion(undefined) })).toBe(UNREPLAYABLE);
    expect(fillPosition({ articles: newTagVersion(UNREPLAYABLE) })).toBe(UNREPLAYABLE);
  });
});
