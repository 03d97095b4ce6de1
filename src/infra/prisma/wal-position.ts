/**
 * Positions in PostgreSQL's write-ahead log (an `pg_lsn`, written `16/B374D848`), as bigints so
 * that they compare. A replica that has replayed position P shows every transaction that had
 * committed on the primary when the primary's WAL stood at P.
 */
export type WalPosition = bigint;

/**
 * Past any position a replica could have replayed: a read that must see it goes to the primary.
 * Stands for "a write happened but where is not known" (the primary did not say, Redis did not answer).
 */
export const UNREPLAYABLE: WalPosition = 1n << 64n;

/** `16/B374D848` as a number. */
export function parseWalPosition(text: string): WalPosition {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!match) throw new Error(`not a WAL position: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** The position as PostgreSQL writes it. */
export function formatWalPosition(position: WalPosition): string {
  return `${(position >> 32n).toString(16).toUpperCase()}/${(position & 0xffffffffn).toString(16).toUpperCase()}`;
}

/**
 * Sixteen hex digits, zero-padded, so that text order is number order (Redis's Lua compares them
 * as strings: its numbers are doubles, too narrow for a position). UNREPLAYABLE and beyond write
 * as all `f`, which is still past every real position.
 */
export function sortableWalPosition(position: WalPosition): string {
  return position >= UNREPLAYABLE ? 'f'.repeat(16) : position.toString(16).padStart(16, '0');
}

/** The inverse of sortableWalPosition; undefined for anything else. */
export function parseSortableWalPosition(text: string | null | undefined): WalPosition | undefined {
  if (!text || !/^[0-9a-f]{16}$/.test(text)) return undefined;
  return text === 'f'.repeat(16) ? UNREPLAYABLE : BigInt(`0x${text}`);
}
