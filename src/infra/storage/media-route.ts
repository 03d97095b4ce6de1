import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { LocalObjectStorage } from './local-object-storage';
import { MEDIA_CONTENT_TYPES, ObjectStorage } from './object-storage';

export const MEDIA_PATH = '/media';

/** Only the variants Conduit writes: content-hash names with a known extension. */
const VARIANT_FILE = /^\/[a-f0-9]{16,64}\.(webp|jpg)$/;

/**
 * With local storage, the api serves the image variants under /media/. Their names are content
 * hashes, so a name never changes meaning: a year of caching, marked immutable. Anything else
 * (originals, temporary files, directory listings) is never served.
 */
export function mountMedia(app: NestExpressApplication): void {
  const storage = app.get(ObjectStorage);
  if (!(storage instanceof LocalObjectStorage)) return;
  app.use(MEDIA_PATH, (request: Request, _response: Response, next: NextFunction) => {
    if (!VARIANT_FILE.test(request.path)) request.url = '/not-a-variant';
    next();
  });
  app.useStaticAssets(storage.directory('media'), {
    prefix: `${MEDIA_PATH}/`,
    index: false,
    dotfiles: 'deny',
    immutable: true,
    maxAge: '365d',
    etag: true,
    setHeaders: (response: Response, filePath: string) => {
      const type = MEDIA_CONTENT_TYPES[filePath.slice(filePath.lastIndexOf('.'))];
      if (type) response.setHeader('Content-Type', type);
    },
  });
}
