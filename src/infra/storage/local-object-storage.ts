import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertSafeName, ObjectStorage, StorageArea } from './object-storage';

const AREAS: StorageArea[] = ['originals', 'media'];
const TEMPORARY_SUFFIX = '.partial';

/**
 * Files under STORAGE_LOCAL_DIR: `<dir>/originals/<name>` and `<dir>/media/<name>`; the api
 * serves `media` under /media/ (see mountMedia). Writes go to a temporary file that is renamed
 * into place, so a process killed mid-write leaves no partial file under the final name.
 */
export class LocalObjectStorage extends ObjectStorage {
  private readonly root: string;

  constructor(root: string) {
    super();
    this.root = path.resolve(root);
  }

  directory(area: StorageArea): string {
    return path.join(this.root, area);
  }

  async put(area: StorageArea, name: string, body: Buffer): Promise<void> {
    const target = this.pathOf(area, name);
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomBytes(6).toString('hex')}${TEMPORARY_SUFFIX}`;
    try {
      await writeFile(temporary, body, { flag: 'wx' });
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  read(area: StorageArea, name: string): Promise<Buffer> {
    return readFile(this.pathOf(area, name));
  }

  async delete(area: StorageArea, name: string): Promise<void> {
    await rm(this.pathOf(area, name), { force: true });
  }

  async exists(area: StorageArea, name: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(area, name))).isFile();
    } catch {
      return false;
    }
  }

  /** The temporary files of writes killed before their rename (a SIGKILLed worker), once old enough. */
  override async sweepAbandonedWrites(before: Date): Promise<number> {
    let removed = 0;
    for (const area of AREAS) {
      const names = await readdir(this.directory(area)).catch(() => [] as string[]);
      for (const name of names.filter((each) => each.endsWith(TEMPORARY_SUFFIX))) {
        const file = path.join(this.directory(area), name);
        const info = await stat(file).catch(() => undefined);
        if (!info || info.mtime >= before) continue;
        await rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  private pathOf(area: StorageArea, name: string): string {
    assertSafeName(name);
    return path.join(this.root, area, name);
  }
}
