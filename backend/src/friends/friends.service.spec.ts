import { jest } from '@jest/globals';
import { BadRequestException, ConflictException, ForbiddenException, NotFoundException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { User } from '../users/user.entity.js';
import type { UsersService } from '../users/users.service.js';
import { FriendRequest } from './friend-request.entity.js';
import { FriendsService } from './friends.service.js';
import { Friendship } from './friendship.entity.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { rejection } from '../../test/helpers/rejection.js';
import { fakeTransaction } from '../../test/helpers/fake-transaction.js';
import { asRealtime, fakeRealtime, type FakeRealtime } from '../../test/helpers/fake-realtime.js';

const START = new Date('2030-01-01T00:00:00Z');
const ALICE = 'aaaaaaaa-0000-4000-8000-000000000001';
const BOB = 'bbbbbbbb-0000-4000-8000-000000000002';

type RelationshipRow = { friends: boolean; blocked_by_me: boolean; blocked_me: boolean };

const strangers = (): RelationshipRow => ({ friends: false, blocked_by_me: false, blocked_me: false });

function aRequest(fromUserId: string, toUserId: string, id = 'request-1'): FriendRequest {
  return Object.assign(new FriendRequest(), { id, fromUserId, toUserId, createdAt: new Date(START.getTime() - 60_000) });
}

function fakeQueryBuilder() {
  return {
    insert: jest.fn().mockReturnThis(),
    into: jest.fn().mockReturnThis(),
    values: jest.fn().mockReturnThis(),
    orIgnore: jest.fn().mockReturnThis(),
    execute: jest.fn(async () => ({ raw: [], identifiers: [] })),
  };
}

/**
 * A transaction's manager. `query` answers the pair lock, the relationship check and the two DTO
 * look-ups by their SQL; `requests` holds the pending requests `findOneBy` finds.
 */
function fakeEntityManager() {
  const state = { relationship: strangers(), requests: [] as FriendRequest[] };
  const builder = fakeQueryBuilder();
  const manager = {
    state,
    builder,
    query: jest.fn(async (sql: string, params: unknown[]): Promise<unknown[]> => {
      if (sql.includes('pg_advisory_xact_lock')) return [{ pg_advisory_xact_lock: '' }];
      if (sql.includes('AS blocked_me')) return [state.relationship];
      if (sql.includes('FROM friendships f')) {
        const [username, displayName] = params[1] === ALICE ? ['alice', 'Alice'] : ['bob', 'Bob'];
        return [{ id: params[1], username, display_name: displayName, status_message: 'hi', created_at: START }];
      }
      if (sql.includes('FROM friend_requests r')) {
        return [
          {
            id: params[0],
            created_at: START,
            from_id: ALICE,
            from_username: 'alice',
            from_display_name: 'Alice',
            to_id: BOB,
            to_username: 'bob',
            to_display_name: 'Bob',
          },
        ];
      }
      throw new Error(`unexpected SQL: ${sql}`);
    }),
    findOneBy: jest.fn(async (_entity: unknown, where: Partial<FriendRequest>) => {
      return state.requests.find((r) => r.fromUserId === where.fromUserId && r.toUserId === where.toUserId) ?? null;
    }),
    create: jest.fn((_entity: unknown, data: Partial<FriendRequest>) => Object.assign(new FriendRequest(), data)),
    save: jest.fn(async (request: FriendRequest) => Object.assign(new FriendRequest(), request, { id: 'new-request' })),
    delete: jest.fn<(entity: unknown, criteria: object) => Promise<{ affected: number }>>(async () => ({ affected: 1 })),
    createQueryBuilder: jest.fn(() => builder),
  };
  return manager;
}

describe('FriendsService', () => {
  let clock: FakeClock;
  let manager: ReturnType<typeof fakeEntityManager>;
  /** Whether the last transaction callback threw, i.e. the transaction rolled back. */
  let transactions: ReturnType<typeof fakeTransaction<ReturnType<typeof fakeEntityManager>>>;
  let dataSource: {
    transaction: jest.Mock<(work: (m: unknown) => Promise<unknown>) => Promise<unknown>>;
    query: jest.Mock<(sql: string, params: unknown[]) => Promise<unknown[]>>;
  };
  let usersService: { getById: jest.Mock<UsersService['getById']> };
  let realtime: FakeRealtime;
  let sut: FriendsService;

  beforeEach(() => {
    clock = new FakeClock(START);
    manager = fakeEntityManager();
    transactions = fakeTransaction(manager);
    dataSource = {
      transaction: transactions.transaction,
      query: jest.fn(async () => []),
    };
    usersService = { getById: jest.fn(async (id: string) => Object.assign(new User(), { id, username: 'bob', displayName: 'Bob' })) };
    realtime = fakeRealtime();
    sut = new FriendsService(dataSource as unknown as DataSource, usersService as unknown as UsersService, clock, asRealtime(realtime));
  });

  const sqlCalls = () => manager.query.mock.calls.map(([sql]) => sql);

  describe('sendRequest', () => {
    it('answers CANNOT_FRIEND_SELF before any query', async () => {
      const error = await rejection(sut.sendRequest(ALICE, ALICE));

      expect(error).toBeInstanceOf(BadRequestException);
      expect(error.getResponse()).toMatchObject({ code: 'CANNOT_FRIEND_SELF' });
      expect(usersService.getById).not.toHaveBeenCalled();
      expect(dataSource.transaction).not.toHaveBeenCalled();
      expect(dataSource.query).not.toHaveBeenCalled();
      expect(manager.query).not.toHaveBeenCalled();
    });

    it('opens no transaction for an unknown user', async () => {
      const unknown = new NotFoundException({ code: 'USER_NOT_FOUND' });
      usersService.getById.mockRejectedValueOnce(unknown);

      await expect(sut.sendRequest(ALICE, BOB)).rejects.toBe(unknown);
      expect(dataSource.transaction).not.toHaveBeenCalled();
    });

    it('takes the pair lock before reading the relationship, and reads it inside the transaction', async () => {
      await sut.sendRequest(ALICE, BOB);

      const [lock, relationship] = manager.query.mock.calls;
      expect(lock[0]).toContain('pg_advisory_xact_lock');
      expect(relationship[0]).toContain('AS blocked_me');
      expect(relationship[1]).toEqual([ALICE, BOB]);
      expect(manager.query.mock.invocationCallOrder[0]).toBeLessThan(manager.findOneBy.mock.invocationCallOrder[0]);
      expect(dataSource.query).not.toHaveBeenCalled();
    });

    it('locks the same key whichever of the pair sends', async () => {
      await sut.sendRequest(ALICE, BOB);
      const fromAlice = manager.query.mock.calls[0][1];
      manager.query.mockClear();

      await sut.sendRequest(BOB, ALICE);

      expect(manager.query.mock.calls[0][1]).toEqual(fromAlice);
    });

    it('answers USER_NOT_FOUND when the target blocked the caller', async () => {
      manager.state.relationship = { ...strangers(), blocked_me: true };

      const error = await rejection(sut.sendRequest(ALICE, BOB));

      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.getResponse()).toMatchObject({ code: 'USER_NOT_FOUND' });
      expect(manager.save).not.toHaveBeenCalled();
    });

    it('answers USER_NOT_FOUND, not USER_BLOCKED, when both blocked each other', async () => {
      manager.state.relationship = { friends: false, blocked_by_me: true, blocked_me: true };

      expect((await rejection(sut.sendRequest(ALICE, BOB))).getResponse()).toMatchObject({ code: 'USER_NOT_FOUND' });
    });

    it('answers USER_BLOCKED when the caller blocked the target', async () => {
      manager.state.relationship = { ...strangers(), blocked_by_me: true };

      const error = await rejection(sut.sendRequest(ALICE, BOB));

      expect(error).toBeInstanceOf(ForbiddenException);
      expect(error.getResponse()).toMatchObject({ code: 'USER_BLOCKED' });
      expect(manager.save).not.toHaveBeenCalled();
    });

    it('answers ALREADY_FRIENDS for a friend', async () => {
      manager.state.relationship = { ...strangers(), friends: true };

      const error = await rejection(sut.sendRequest(ALICE, BOB));

      expect(error).toBeInstanceOf(ConflictException);
      expect(error.getResponse()).toMatchObject({ code: 'ALREADY_FRIENDS' });
      expect(manager.save).not.toHaveBeenCalled();
      expect(manager.delete).not.toHaveBeenCalled();
    });

    it('accepts their pending request instead: deletes it, adds the friendship both ways and answers accepted', async () => {
      manager.state.requests = [aRequest(BOB, ALICE, 'theirs')];

      const result = await sut.sendRequest(ALICE, BOB);

      expect(manager.delete).toHaveBeenCalledWith(FriendRequest, { id: 'theirs' });
      expect(manager.builder.into).toHaveBeenCalledWith(Friendship);
      expect(manager.builder.values).toHaveBeenCalledWith([
        { userId: ALICE, friendId: BOB, createdAt: START },
        { userId: BOB, friendId: ALICE, createdAt: START },
      ]);
      expect(manager.save).not.toHaveBeenCalled();
      expect(result).toEqual({
        status: 'accepted',
        request: null,
        friend: { id: BOB, username: 'bob', displayName: 'Bob', statusMessage: 'hi', friendsSince: START },
      });
      expect(realtime.friendAccepted).toHaveBeenCalledWith(result.friend, {
        id: ALICE,
        username: 'alice',
        displayName: 'Alice',
        statusMessage: 'hi',
        friendsSince: START,
      });
      expect(realtime.friendRequest).not.toHaveBeenCalled();
    });

    it('answers REQUEST_ALREADY_SENT when the caller already asked', async () => {
      manager.state.requests = [aRequest(ALICE, BOB, 'mine')];

      const error = await rejection(sut.sendRequest(ALICE, BOB));

      expect(error).toBeInstanceOf(ConflictException);
      expect(error.getResponse()).toMatchObject({ code: 'REQUEST_ALREADY_SENT' });
      expect(manager.save).not.toHaveBeenCalled();
      expect(manager.delete).not.toHaveBeenCalled();
      expect(realtime.friendRequest).not.toHaveBeenCalled();
    });

    it('saves a new request stamped with the clock and answers pending', async () => {
      const result = await sut.sendRequest(ALICE, BOB);

      expect(manager.create).toHaveBeenCalledWith(FriendRequest, { fromUserId: ALICE, toUserId: BOB, createdAt: START });
      expect(manager.save).toHaveBeenCalledTimes(1);
      expect(result).toEqual({
        status: 'pending',
        request: {
          id: 'new-request',
          from: { id: ALICE, username: 'alice', displayName: 'Alice' },
          to: { id: BOB, username: 'bob', displayName: 'Bob' },
          createdAt: START,
        },
        friend: null,
      });
      expect(sqlCalls()).toHaveLength(3);
      expect(realtime.friendRequest).toHaveBeenCalledWith(result.request);
      expect(realtime.friendAccepted).not.toHaveBeenCalled();
    });
  });

  describe('unfriend', () => {
    it('removes the friendship and any pending requests of the pair, both ways', async () => {
      manager.delete.mockResolvedValueOnce({ affected: 0 }).mockResolvedValueOnce({ affected: 2 });

      await expect(sut.unfriend(ALICE, BOB)).resolves.toBeUndefined();

      expect(manager.delete).toHaveBeenCalledWith(FriendRequest, [
        { fromUserId: ALICE, toUserId: BOB },
        { fromUserId: BOB, toUserId: ALICE },
      ]);
      expect(manager.delete).toHaveBeenCalledWith(Friendship, [
        { userId: ALICE, friendId: BOB },
        { userId: BOB, friendId: ALICE },
      ]);
      expect(transactions.state.rolledBack).toBe(false);
    });

    it('answers NOT_FRIENDS from inside the transaction, so deleted requests are rolled back', async () => {
      manager.delete.mockResolvedValueOnce({ affected: 1 }).mockResolvedValueOnce({ affected: 0 });

      const error = await rejection(sut.unfriend(ALICE, BOB));

      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.getResponse()).toMatchObject({ code: 'NOT_FRIENDS' });
      expect(dataSource.transaction).toHaveBeenCalledTimes(1);
      expect(transactions.state.rolledBack).toBe(true);
    });
  });
});
