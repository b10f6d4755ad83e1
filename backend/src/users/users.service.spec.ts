import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { decodeCursor, encodeCursor } from '../common/pagination.js';
import { User } from './user.entity.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';
import { fakeTransactions, type Mocked, newTestService } from '../../test/helpers/new-test-service.js';
import { rejection } from '../../test/helpers/rejection.js';

function aUser(overrides: Partial<User> = {}): User {
  return Object.assign(new User(), {
    id: 'user-1',
    username: 'ada',
    displayName: 'Ada',
    statusMessage: 'Counting',
    passwordHash: '$argon2id$hash',
    role: 'user',
    tokenVersion: 0,
    ...overrides,
  });
}

const uniqueViolation = () =>
  new QueryFailedError('INSERT INTO "users"', [], Object.assign(new Error('duplicate key'), { code: '23505' }));


describe('UsersService', () => {
  let users: Mocked<UsersRepository>;
  let sut: UsersService;

  beforeEach(() => {
    const built = newTestService(UsersService);
    ({ sut } = built);
    users = built.mock(UsersRepository);
    users.create.mockImplementation(async (fields) => Object.assign(new User(), fields, { id: 'new-id' }));
    users.findOne.mockResolvedValue(null);
    users.update.mockResolvedValue(undefined);
    users.search.mockResolvedValue([]);
  });

  describe('create', () => {
    it('saves the user and uses the username as display name when none is given', async () => {
      const created = await sut.create({ username: 'ada', passwordHash: 'h' });

      expect(created).toMatchObject({ id: 'new-id', username: 'ada', displayName: 'ada', passwordHash: 'h' });
      expect(users.create).toHaveBeenCalledWith({ username: 'ada', displayName: 'ada', passwordHash: 'h' }, undefined);
    });

    it('saves inside the transaction it is given', async () => {
      const { tx } = fakeTransactions();

      await sut.create({ username: 'ada', displayName: 'Ada L.', passwordHash: 'h' }, tx);

      expect(users.create).toHaveBeenCalledWith(expect.objectContaining({ username: 'ada', displayName: 'Ada L.' }), tx);
    });

    it('answers USERNAME_TAKEN when the unique index rejects the username', async () => {
      users.create.mockRejectedValueOnce(uniqueViolation());

      const error = await rejection(sut.create({ username: 'ada', passwordHash: 'h' }));

      expect(error).toBeInstanceOf(ConflictException);
      expect(error.getResponse()).toMatchObject({ code: 'USERNAME_TAKEN' });
    });

    it('rethrows other database errors unchanged', async () => {
      const checkViolation = new QueryFailedError('INSERT', [], Object.assign(new Error('check'), { code: '23514' }));
      users.create.mockRejectedValueOnce(checkViolation);

      await expect(sut.create({ username: 'ada', passwordHash: 'h' })).rejects.toBe(checkViolation);
    });

    it('rethrows errors that are not query failures unchanged', async () => {
      const lost = Object.assign(new Error('connection lost'), { code: '23505' });
      users.create.mockRejectedValueOnce(lost);

      await expect(sut.create({ username: 'ada', passwordHash: 'h' })).rejects.toBe(lost);
    });
  });

  describe('findByUsername', () => {
    it('looks the username up trimmed and in lower case', async () => {
      const ada = aUser();
      users.findOne.mockResolvedValueOnce(ada);

      await expect(sut.findByUsername('  Ada ')).resolves.toBe(ada);
      expect(users.findOne).toHaveBeenCalledWith({ username: 'ada' });
    });
  });

  describe('getById', () => {
    it('returns the user', async () => {
      const ada = aUser();
      users.findOne.mockResolvedValueOnce(ada);

      await expect(sut.getById('user-1')).resolves.toBe(ada);
      expect(users.findOne).toHaveBeenCalledWith({ id: 'user-1' }, undefined);
    });

    it('answers USER_NOT_FOUND for an unknown id', async () => {
      const error = await rejection(sut.getById('nobody'));

      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.getResponse()).toMatchObject({ code: 'USER_NOT_FOUND' });
    });
  });

  describe('updateProfile', () => {
    it('writes only the display name when only that is given, never the whole row', async () => {
      users.findOne.mockResolvedValueOnce({ ...aUser(), displayName: 'Ada L.' });

      const updated = await sut.updateProfile('user-1', { displayName: 'Ada L.' });

      expect(users.update).toHaveBeenCalledWith('user-1', { displayName: 'Ada L.' });
      expect(updated).toMatchObject({ displayName: 'Ada L.', statusMessage: 'Counting' });
    });

    it('clears the status message with an empty string', async () => {
      users.findOne.mockResolvedValueOnce(aUser());

      await sut.updateProfile('user-1', { statusMessage: '' });

      expect(users.update).toHaveBeenCalledWith('user-1', { statusMessage: '' });
    });

    it('writes nothing when no field is given', async () => {
      users.findOne.mockResolvedValueOnce(aUser());

      expect(await sut.updateProfile('user-1', { displayName: undefined })).toEqual(aUser());
      expect(users.update).not.toHaveBeenCalled();
    });

    it('answers USER_NOT_FOUND for an unknown id', async () => {
      const error = await rejection(sut.updateProfile('nobody', { displayName: 'X' }));

      expect(error.getResponse()).toMatchObject({ code: 'USER_NOT_FOUND' });
    });
  });

  describe('setPassword', () => {
    it('stores the new hash (the repository bumps the token version) in the given transaction', async () => {
      const { tx } = fakeTransactions();

      await sut.setPassword('user-1', 'new-hash', tx);

      expect(users.setPassword).toHaveBeenCalledWith(tx, 'user-1', 'new-hash');
    });
  });

  describe('search', () => {
    const row = (n: number) => ({ id: `id-${n}`, username: `ada${n}`, display_name: `Ada ${n}`, avatar_id: null, rank: 1, score: '0.5000' });
    const params = () => {
      const [caller, query, prefix, after, limit] = users.search.mock.calls[0];
      return [caller, query, prefix, after?.r ?? null, after?.s ?? null, after?.u ?? null, limit];
    };

    it('searches by an escaped LIKE prefix so that %, _ and \\ match themselves', async () => {
      await sut.search('caller', 'a%b_c\\d', 20);

      expect(params()[2]).toBe('a\\%b\\_c\\\\d%');
    });

    it('excludes the caller, passes the raw query for exact and fuzzy matching, and asks for one row more than the page', async () => {
      await sut.search('caller', 'ada', 20);

      expect(params()).toEqual(['caller', 'ada', 'ada%', null, null, null, 21]);
    });

    it('returns summaries and no cursor when no more rows than the limit came back', async () => {
      users.search.mockResolvedValueOnce([row(1), row(2)]);

      await expect(sut.search('caller', 'ada', 2)).resolves.toEqual({
        items: [
          { id: 'id-1', username: 'ada1', displayName: 'Ada 1', avatarVersion: null },
          { id: 'id-2', username: 'ada2', displayName: 'Ada 2', avatarVersion: null },
        ],
        nextCursor: null,
      });
    });

    it('returns a cursor at the last row of the page when more rows came back', async () => {
      users.search.mockResolvedValueOnce([row(1), row(2), row(3)]);

      const page = await sut.search('caller', 'ada', 2);

      expect(page.items.map((item) => item.id)).toEqual(['id-1', 'id-2']);
      expect(decodeCursor(page.nextCursor!, { r: 'int', s: 'decimal', u: 'text' })).toEqual({ r: 1, s: '0.5000', u: 'ada2' });
    });

    it('continues after the cursor it is given', async () => {
      await sut.search('caller', 'ada', 2, encodeCursor({ r: 1, s: '0.5000', u: 'ada2' }));

      expect(params().slice(3)).toEqual([1, '0.5000', 'ada2', 3]);
    });

    it('answers INVALID_CURSOR for a garbage cursor without querying', async () => {
      const error = await rejection(sut.search('caller', 'ada', 2, 'garbage'));

      expect(error).toBeInstanceOf(BadRequestException);
      expect(error.getResponse()).toMatchObject({ code: 'INVALID_CURSOR' });
      expect(users.search).not.toHaveBeenCalled();
    });
  });
});
