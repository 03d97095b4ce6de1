import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalObjectStorage } from './local-object-storage';
import type { ObjectStorage } from './object-storage';

describe('LocalObjectStorage', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'conduit-storage-'));
  const storage: ObjectStorage = new LocalObjectStorage(root);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes, overwrites, reads and deletes objects in their area, leaving no temporary file', async () => {
    await storage.put('media', 'abc.webp', Buffer.from('one'), 'image/webp');
    await storage.put('media', 'abc.webp', Buffer.from('two'), 'image/webp');
    expect((await storage.read('media', 'abc.webp')).toString()).toBe('two');
    expect(readdirSync(path.join(root, 'media'))).toEqual(['abc.webp']);
    expect(await storage.exists('originals', 'abc.webp')).toBe(false);
    await storage.delete('media', 'abc.webp');
    await storage.delete('media', 'abc.webp');
    expect(await storage.exists('media', 'abc.webp')).toBe(false);
  });

  it('refuses any name that could leave its area', async () => {
    for (const name of ['../x', '..', '.hidden', 'a/b', 'a\\b', '', 'x'.repeat(300)]) {
      await expect(storage.put('media', name, Buffer.from('x'), 'image/webp')).rejects.toThrow('unsafe storage object name');
    }
  });

  it('sweeps the temporary files of writes that died mid-way, once they are older than the cut-off, and nothing else', async () => {
    mkdirSync(path.join(root, 'originals'), { recursive: true });
    await storage.put('media', 'kept.webp', Buffer.from('x'), 'image/webp');
    const abandoned = path.join(root, 'originals', 'upload.abc123.partial');
    const recent = path.join(root, 'media', 'kept.webp.def456.partial');
    writeFileSync(abandoned, 'half');
    writeFileSync(recent, 'half');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(abandoned, twoHoursAgo, twoHoursAgo);

    expect(await storage.sweepAbandonedWrites(new Date(Date.now() - 3600_000))).toBe(1);
    expect(readdirSync(path.join(root, 'originals'))).toEqual([]);
    expect(readdirSync(path.join(root, 'media')).sort()).toEqual(['kept.webp', 'kept.webp.def456.partial']);
  });
});
