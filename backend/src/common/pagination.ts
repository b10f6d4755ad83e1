import { BadRequestException } from '@nestjs/common';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

/** Cursors are opaque to clients: base64url JSON of the last row's sort key. */
export function encodeCursor(key: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** What a cursor field must be; checked before the value gets anywhere near SQL. */
export type CursorField = 'text' | 'int' | 'decimal' | 'uuid' | 'timestamp';

const CURSOR_CHECKS: Record<CursorField, (value: unknown) => boolean> = {
  text: (value) => typeof value === 'string' && value.length <= 256 && !value.includes('\u0000'),
  int: (value) => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 2 ** 31 - 1,
  decimal: (value) => typeof value === 'string' && /^\d{1,6}(\.\d{1,6})?$/.test(value),
  uuid: (value) => typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
  // Exactly what toISOString() issues: this refuses 2024-02-30 and year 0, which PostgreSQL would reject.
  timestamp: (value) =>
    typeof value === 'string' && /^\d{4}-/.test(value) && !value.startsWith('0000') && isoRoundTrips(value),
};

function isoRoundTrips(value: string): boolean {
  const time = Date.parse(value);
  return !Number.isNaN(time) && new Date(time).toISOString() === value;
}

export function decodeCursor<T extends Record<string, string | number>>(cursor: string, shape: { [K in keyof T]: CursorField }): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidCursor();
  for (const [key, field] of Object.entries(shape) as [string, CursorField][]) {
    if (!CURSOR_CHECKS[field]((value as Record<string, unknown>)[key])) throw invalidCursor();
  }
  return value as T;
}

function invalidCursor(): BadRequestException {
  return new BadRequestException({ code: 'INVALID_CURSOR', message: 'The cursor is not valid for this list' });
}

/** Takes one extra row from the query to know whether another page exists. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  toKey: (row: Row) => Record<string, string | number>,
): { items: Item[]; nextCursor: string | null } {
  const pageRows = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return {
    items: pageRows.map(toItem),
    nextCursor: hasMore ? encodeCursor(toKey(pageRows[pageRows.length - 1])) : null,
  };
}
