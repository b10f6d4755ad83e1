import { BadRequestException } from '@nestjs/common';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

/** Cursors are opaque to clients: base64url JSON of the last row's sort key. */
export function encodeCursor(key: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T extends Record<string, string | number>>(
  cursor: string,
  shape: { [K in keyof T]: 'string' | 'number' },
): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof value !== 'object' || value === null) throw invalidCursor();
  for (const [key, type] of Object.entries(shape)) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field !== type || (type === 'number' && !Number.isFinite(field))) throw invalidCursor();
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
