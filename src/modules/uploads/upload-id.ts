const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string given where an image is expected names an upload (rather than being a URL). */
export function isUploadId(value: string): boolean {
  return UUID.test(value);
}
