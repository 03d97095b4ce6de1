/**
 * Where uploaded files live. Two areas: `originals` (uploaded bytes, private, deleted once
 * processed) and `media` (re-encoded variants, public under MEDIA_PUBLIC_URL). Adapters: local
 * disk (LocalObjectStorage, the default) and S3-compatible object storage (S3ObjectStorage).
 */
export type StorageArea = 'originals' | 'media';

export abstract class ObjectStorage {
  /** Stores `body` whole or not at all: a reader never sees a half-written object. Overwrites. */
  abstract put(area: StorageArea, name: string, body: Buffer, contentType: string): Promise<void>;

  abstract read(area: StorageArea, name: string): Promise<Buffer>;

  /** Removes the object; an object already gone is not an error. */
  abstract delete(area: StorageArea, name: string): Promise<void>;

  abstract exists(area: StorageArea, name: string): Promise<boolean>;

  /**
   * Removes what writes left behind when their process died mid-write, if they started before
   * `before`; resolves to how many. Nothing to do where writes are atomic by nature (S3).
   */
  sweepAbandonedWrites(_before: Date): Promise<number> {
    return Promise.resolve(0);
  }
}

/**
 * Object names are chosen by Conduit (upload ids, content hashes), never by a client; this check
 * makes sure no name can leave its area, whatever happens upstream.
 */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function assertSafeName(name: string): void {
  if (!SAFE_NAME.test(name) || name.includes('..')) throw new Error(`unsafe storage object name: ${JSON.stringify(name)}`);
}

/** The content type of a stored variant, from its extension (the only ones Conduit writes). */
export const MEDIA_CONTENT_TYPES: Record<string, string> = {
  '.webp': 'image/webp',
  '.jpg': 'image/jpeg',
};
