import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
});
