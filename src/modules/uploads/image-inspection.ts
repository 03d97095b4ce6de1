/**
 * What the api checks in an uploaded file's bytes before storing anything, without decoding it:
 * the real type from its signature (never the name or the declared type), and whether the file
 * is structurally complete. The worker decodes it afterwards with the same limits (image-variants.ts).
 */
export const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/gif'] as const;
export type AcceptedType = (typeof ACCEPTED_TYPES)[number];

const ascii = (bytes: Buffer, start: number, end: number): string => bytes.toString('latin1', start, end);

/** The type the bytes say, or undefined for anything else (SVG, HTML, scripts, executables, HEIC...). */
export function sniffImageType(bytes: Buffer): AcceptedType | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 6 && ['GIF87a', 'GIF89a'].includes(ascii(bytes, 0, 6))) return 'image/gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'image/webp';
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp' && isAvifBrand(bytes)) return 'image/avif';
  return undefined;
}

/** AVIF: an ISO-BMFF `ftyp` box whose major or compatible brands name avif (still) or avis (sequence). */
function isAvifBrand(bytes: Buffer): boolean {
  const size = bytes.readUInt32BE(0);
  if (size < 16 || size > bytes.length) return false;
  for (let offset = 8; offset + 4 <= size; offset += 4) {
    if (offset === 12) continue; // minor version
    if (['avif', 'avis'].includes(ascii(bytes, offset, offset + 4))) return true;
  }
  return false;
}

/**
 * False when the file visibly ends early (a cut-off download or upload). Lenient towards data
 * appended after the image (cameras add trailers), strict about a missing end marker.
 */
export function isStructurallyComplete(type: AcceptedType, bytes: Buffer): boolean {
  switch (type) {
    case 'image/jpeg': {
      // The end-of-image marker must follow the start of the compressed data.
      const scanStart = bytes.indexOf(Buffer.from([0xff, 0xda]));
      return scanStart > 0 && bytes.lastIndexOf(Buffer.from([0xff, 0xd9])) > scanStart;
    }
    case 'image/png':
      return bytes.lastIndexOf(Buffer.from('IEND', 'latin1')) > 8;
    case 'image/gif': {
      let end = bytes.length - 1;
      while (end > 0 && bytes[end] === 0) end -= 1;
      return bytes[end] === 0x3b;
    }
    case 'image/webp':
      return bytes.readUInt32LE(4) + 8 <= bytes.length;
    case 'image/avif':
      return boxesFit(bytes);
    default: {
      const unknown: never = type;
      throw new Error(`no completeness check for ${String(unknown)}`);
    }
  }
}

/** ISO-BMFF: every top-level box must fit in the file, and a media data box must be there. */
function boxesFit(bytes: Buffer): boolean {
  let offset = 0;
  let sawMediaData = false;
  while (offset + 8 <= bytes.length) {
    let size = bytes.readUInt32BE(offset);
    const kind = ascii(bytes, offset + 4, offset + 8);
    if (size === 1) {
      if (offset + 16 > bytes.length) return false;
      size = Number(bytes.readBigUInt64BE(offset + 8));
    } else if (size === 0) {
      size = bytes.length - offset;
    }
    if (size < 8 || offset + size > bytes.length) return false;
    if (kind === 'mdat') sawMediaData = true;
    offset += size;
  }
  return sawMediaData && offset === bytes.length;
}

/** Dimensions beyond the configured bounds: the reason, or undefined when they are within. */
export function dimensionProblem(width: number, height: number, limits: ImageLimits): string | undefined {
  if (!(width > 0 && height > 0)) return 'has no valid dimensions';
  if (width > limits.maxDimension || height > limits.maxDimension) {
    return `is ${width}x${height} pixels; the longest side may be ${limits.maxDimension}`;
  }
  if (width * height > limits.maxPixels) return `is ${width}x${height} pixels; at most ${limits.maxPixels} pixels are accepted`;
  return undefined;
}

export interface ImageLimits {
  maxPixels: number;
  maxDimension: number;
}

/**
 * A client's file name is never used for storage (names are upload ids and content hashes), but a
 * name that tries to climb directories is refused outright, so nothing downstream ever sees it.
 */
export function fileNameProblem(name: string): string | undefined {
  if ([...name].some((character) => character.charCodeAt(0) < 0x20 || character.charCodeAt(0) === 0x7f)) return 'must not contain control characters';
  // A separator anywhere is a path; without one, only `..` itself climbs.
  if (/[\\/]/.test(name) || name === '..') return 'must not contain a path';
  if (name.length > 255) return 'is too long (maximum is 255 characters)';
  return undefined;
}
