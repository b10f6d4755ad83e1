import { BadRequestException, HttpException } from '@nestjs/common';
import { decodeCursor, encodeCursor, toPage } from './pagination.js';

type Key = { r: number; u: string };
const shape = { r: 'int', u: 'text' } as const;

const raw = (text: string) => Buffer.from(text).toString('base64url');

function decodeError(cursor: string): HttpException {
  try {
    decodeCursor<Key>(cursor, shape);
  } catch (error) {
    return error as HttpException;
  }
  throw new Error(`expected ${cursor} to be rejected`);
}

describe('encodeCursor / decodeCursor', () => {
  it('round-trips a key', () => {
    const key = { r: 2, u: 'ada_lovelace' };

    const cursor = encodeCursor(key);

    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor<Key>(cursor, shape)).toEqual(key);
  });

  it.each([
    ['a field of the wrong type', raw(JSON.stringify({ r: '2', u: 'ada' }))],
    ['a missing field', raw(JSON.stringify({ u: 'ada' }))],
    ['a number too big to be finite', raw('{"r":1e999,"u":"ada"}')],
    ['text that is not JSON', raw('not json')],
    ['garbage that is not base64url JSON', '%%%***'],
    ['JSON that is not an object', raw('42')],
    ['JSON null', raw('null')],
    ['a JSON string', raw('"r"')],
    ['a JSON array', raw('[1, "ada"]')],
    ['a fractional int', raw('{"r":1.5,"u":"ada"}')],
    ['a negative int', raw('{"r":-1,"u":"ada"}')],
    ['an int beyond 32 bits', raw('{"r":1e12,"u":"ada"}')],
    ['text with a NUL character', raw('{"r":1,"u":"a\\u0000"}')],
  ])('rejects %s with INVALID_CURSOR', (_, cursor) => {
    const error = decodeError(cursor);

    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.getResponse()).toMatchObject({ code: 'INVALID_CURSOR' });
  });
});

describe('decodeCursor field types', () => {
  it.each([
    ['uuid', '2b9c4a0e-53c1-4c1e-9f4e-0d1f7a1c2b3d', 'not-a-uuid'],
    ['timestamp', '2030-01-01T00:00:00.000Z', '2030-13-45 nonsense'],
    ['decimal', '0.5000', 'abc'],
  ] as const)('accepts a %s and refuses garbage', (field, good, bad) => {
    expect(decodeCursor(raw(JSON.stringify({ v: good })), { v: field })).toEqual({ v: good });
    expect(() => decodeCursor(raw(JSON.stringify({ v: bad })), { v: field })).toThrow(BadRequestException);
  });
});

describe('toPage', () => {
  const rows = [1, 2, 3, 4].map((n) => ({ id: `id-${n}`, rank: n }));
  const toItem = (row: { id: string }) => row.id;
  const toKey = (row: { id: string; rank: number }) => ({ r: row.rank, u: row.id });

  it('returns the first `limit` items and a cursor at the last of them when more rows came back', () => {
    const page = toPage(rows, 3, toItem, toKey);

    expect(page.items).toEqual(['id-1', 'id-2', 'id-3']);
    expect(page.nextCursor).not.toBeNull();
    expect(decodeCursor<Key>(page.nextCursor!, shape)).toEqual({ r: 3, u: 'id-3' });
  });

  it('returns no cursor when exactly `limit` rows came back', () => {
    const page = toPage(rows.slice(0, 3), 3, toItem, toKey);

    expect(page.items).toEqual(['id-1', 'id-2', 'id-3']);
    expect(page.nextCursor).toBeNull();
  });

  it('returns no cursor when fewer rows than `limit` came back', () => {
    expect(toPage(rows.slice(0, 1), 3, toItem, toKey)).toEqual({ items: ['id-1'], nextCursor: null });
  });

  it('returns an empty page for no rows', () => {
    expect(toPage([], 3, toItem, toKey)).toEqual({ items: [], nextCursor: null });
  });
});
