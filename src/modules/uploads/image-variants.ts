import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { dimensionProblem, ImageLimits } from './image-inspection';
import type { UploadPurpose, VariantRecord } from './upload.types';

/** The sizes each purpose gets; each is written as WebP and as a JPEG fallback. */
export const VARIANT_SIZES: Record<UploadPurpose, Array<{ name: string; width: number; height?: number }>> = {
  // Square avatars, cropped around the centre.
  avatar: [
    { name: 'avatar-256', width: 256, height: 256 },
    { name: 'avatar-128', width: 128, height: 128 },
  ],
  // Covers keep their aspect ratio; small images are not enlarged.
  cover: [
    { name: 'cover-1200', width: 1200 },
    { name: 'cover-400', width: 400 },
  ],
};

/** An image the worker refuses to process; the reason is shown to the uploader. */
export class ImageRejected extends Error {}

export interface EncodedVariant extends Omit<VariantRecord, 'url'> {
  data: Buffer;
  contentType: string;
}

/** Formats sharp may decode here: the accepted ones, AVIF only as AV1 in HEIF (not HEIC). */
const DECODABLE = new Set(['jpeg', 'png', 'webp', 'gif', 'heif']);

/**
 * Decodes `input` under explicit limits and re-encodes it into the purpose's variants. Nothing of
 * the input but its pixels survives: the pixels go through a raw buffer, so EXIF (GPS included),
 * ICC, XMP and comments are all dropped; orientation is applied first. Variant names are content
 * hashes, so processing the same upload twice writes the same files.
 */
export async function renderVariants(input: Buffer, purpose: UploadPurpose, limits: ImageLimits): Promise<EncodedVariant[]> {
  const options: sharp.SharpOptions = { limitInputPixels: limits.maxPixels, failOn: 'truncated', sequentialRead: true };
  const metadata = await decodeStep(() => sharp(input, options).metadata());
  if (!metadata.format || !DECODABLE.has(metadata.format) || (metadata.format === 'heif' && metadata.compression !== 'av1')) {
    throw new ImageRejected(`is a ${metadata.format ?? 'unknown'} file, not an accepted image`);
  }
  const problem = dimensionProblem(metadata.width ?? 0, metadata.height ?? 0, limits);
  if (problem) throw new ImageRejected(problem);

  const [largest, ...smaller] = VARIANT_SIZES[purpose];
  // One full decode (JPEG shrinks on load), to the largest size; smaller sizes come from that.
  const base = await decodeStep(() =>
    sharp(input, options)
      .rotate()
      .resize({ width: largest.width, height: largest.height, fit: 'cover', withoutEnlargement: largest.height === undefined })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true }),
  );
  const raw = { raw: { width: base.info.width, height: base.info.height, channels: base.info.channels } };
  const variants: EncodedVariant[] = [];
  for (const size of [largest, ...smaller]) {
    const resized = sharp(base.data, raw).resize({ width: size.width, height: size.height, fit: 'cover', withoutEnlargement: size.height === undefined });
    const [webp, jpeg] = await Promise.all([
      resized.clone().webp({ quality: 80, effort: 4 }).toBuffer({ resolveWithObject: true }),
      resized.clone().flatten({ background: '#ffffff' }).jpeg({ quality: 82, mozjpeg: true }).toBuffer({ resolveWithObject: true }),
    ]);
    variants.push(encoded(size.name, 'webp', webp), encoded(size.name, 'jpeg', jpeg));
  }
  return variants;
}

function encoded(name: string, format: 'webp' | 'jpeg', output: { data: Buffer; info: sharp.OutputInfo }): EncodedVariant {
  const extension = format === 'webp' ? 'webp' : 'jpg';
  return {
    name,
    format,
    width: output.info.width,
    height: output.info.height,
    bytes: output.data.length,
    file: `${createHash('sha256').update(output.data).digest('hex').slice(0, 40)}.${extension}`,
    data: output.data,
    contentType: format === 'webp' ? 'image/webp' : 'image/jpeg',
  };
}

/** A decoding failure is the file's fault (corrupt, truncated, too large), not the worker's. */
async function decodeStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/pixel limit/i.test(message)) throw new ImageRejected('declares more pixels than are accepted');
    throw new ImageRejected('could not be decoded (corrupt or truncated file)');
  }
}
