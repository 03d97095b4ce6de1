import { dimensionProblem, fileNameProblem, isStructurallyComplete, sniffImageType } from './image-inspection';

const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));

describe('image inspection', () => {
  it('reads the type from the signature, whatever the name says', () => {
    expect(sniffImageType(bytes([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffImageType(bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a]))).toBe('image/png');
    expect(sniffImageType(bytes('GIF89a'))).toBe('image/gif');
    expect(sniffImageType(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '))).toBe('image/webp');
    expect(sniffImageType(bytes([0, 0, 0, 20], 'ftypavif', [0, 0, 0, 0], 'mif1'))).toBe('image/avif');
  });

  it('refuses SVG, HTML, HEIC, executables and scripts', () => {
    for (const text of ['<svg xmlns="http://www.w3.org/2000/svg"/>', '<?xml version="1.0"?><svg/>', '<!doctype html>', '#!/bin/sh\n', 'MZ\x90\x00']) {
      expect(sniffImageType(bytes(text))).toBeUndefined();
    }
    expect(sniffImageType(bytes([0x7f], 'ELF'))).toBeUndefined();
    expect(sniffImageType(bytes([0, 0, 0, 24], 'ftypheic', [0, 0, 0, 0], 'mif1heic'))).toBeUndefined();
    expect(sniffImageType(Buffer.alloc(0))).toBeUndefined();
  });

  it('tells a cut-off file from a complete one', () => {
    const jpeg = bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0xff, 0xda, 1, 2, 3]);
    expect(isStructurallyComplete('image/jpeg', jpeg)).toBe(false);
    expect(isStructurallyComplete('image/jpeg', Buffer.concat([jpeg, bytes([0xff, 0xd9])]))).toBe(true);
    expect(isStructurallyComplete('image/gif', bytes('GIF89a', [1, 2, 0x3b]))).toBe(true);
    expect(isStructurallyComplete('image/gif', bytes('GIF89a', [1, 2]))).toBe(false);
    const webp = bytes('RIFF', [12, 0, 0, 0], 'WEBPVP8 ', [0, 0, 0, 0]);
    expect(isStructurallyComplete('image/webp', webp)).toBe(true);
    expect(isStructurallyComplete('image/webp', webp.subarray(0, 14))).toBe(false);
    const avif = bytes([0, 0, 0, 16], 'ftypavif', [0, 0, 0, 0], [0, 0, 0, 12], 'mdat', [1, 2, 3, 4]);
    expect(isStructurallyComplete('image/avif', avif)).toBe(true);
    expect(isStructurallyComplete('image/avif', avif.subarray(0, avif.length - 2))).toBe(false);
  });

  it('bounds dimensions and pixels', () => {
    const limits = { maxPixels: 1_000_000, maxDimension: 2_000 };
    expect(dimensionProblem(1000, 1000, limits)).toBeUndefined();
    expect(dimensionProblem(2001, 10, limits)).toMatch(/longest side/);
    expect(dimensionProblem(1001, 1000, limits)).toMatch(/at most 1000000 pixels/);
    expect(dimensionProblem(0, 10, limits)).toBe('has no valid dimensions');
  });

  it('refuses file names with a path or control characters', () => {
    expect(fileNameProblem('holiday photo.jpg')).toBeUndefined();
    expect(fileNameProblem('../../etc/passwd')).toBe('must not contain a path');
    expect(fileNameProblem('..\\..\\boot.ini')).toBe('must not contain a path');
    expect(fileNameProblem('a\u0000.png')).toBe('must not contain control characters');
  });
});
