import { BadRequestException, ConflictException, ForbiddenException, NotFoundException } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { Transactions } from '../database/transaction.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { FriendRequest } from './friend-request.entity.js';
import { FriendsRepository, type RelationshipRow } from './friends.repository.js';
import { FriendsService } from './friends.service.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { fakeTransactions, type Mocked, newTestService } from '../../test/helpers/new-test-service.js';
import { rejection } from '../../test/helpers/rejection.js';
import { asRealtime, fakeRealtime, type FakeRealtime } from '../../test/helpers/fake-realtime.js';

const START = new Date('2030-01-01T00:00:00Z');
const ALICE = 'aaaaaaaa-0000-4000-8000-000000000001';
const BOB = 'bbbbbbbb-0000-4000-8000-000000000002';

const strangers = (): RelationshipRow => ({ friends: false, blocked_by_me: false, blocked_me: false });

function aRequest(fromUserId: string, toUserId: string, id = 'request-1'): FriendRequest {
  return Object.assign(new FriendRequest(), { id, fromUserId, toUserId, createdAt: new Date(START.getTime() - 60_000) });
}

/**
 * The friends repository as one pair of users sees it: `relationship` answers `state.relationship`,
 * `findRequest` finds among `state.requests`, and the DTO look-ups answer Alice and Bob.
 */
function fakeFriendsRepository(friends: Mocked<FriendsRepository>) {
  const state = { relationship: strangers(), requests: [] as FriendRequest[] };
  friends.lockPair.mockResolvedValue(undefined);
  friends.relationship.mockImplementation(async () => state.relationship);
  friends.findRequest.mockImplementation(
    async (where) => state.requests.find((r) => r.fromUserId === where.fromUserId && r.toUserId === where.toUserId) ?? null,
  );
  friends.addRequest.mockResolvedValue('new-request');
  friends.deleteRequest.mockResolvedValue(1);
  friends.addFriendship.mockResolvedValue(undefined);
  friends.removeFriendship.mockResolvedValue(1);
  friends.getFriend.mockImplementation(async (_tx, _userId, friendId) => {
    const [username, displayName] = friendId === ALICE ? ['alice', 'Alice'] : ['bob', 'Bob'];
    return { id: friendId, username, display_name: displayName, avatar_id: null, status_message: 'hi', created_at: START };
  });
  friends.getRequest.mockImplementation(async (_tx, id) => ({
    id,
    created_at: START,
    from_id: ALICE,
    from_username: 'alice',
    from_display_name: 'Alice',
    from_avatar_id: null,
    to_avatar_id: null,
    to_id: BOB,
    to_username: 'bob',
    to_display_name: 'Bob',
  }));
  return state;
}

describe('FriendsService', () => {
  let clock: FakeClock;
  let friends: Mocked<FriendsRepository>;
  let state: ReturnType<typeof fakeFriendsRepository>;
  /** Whether the last transaction callback threw, i.e. the transaction rolled back. */
  let transactions: ReturnType<typeof fakeTransactions>;
  let usersService: Mocked<UsersService>;
  let realtime: FakeRealtime;
  let sut: FriendsService;

  beforeEach(() => {
    clock = new FakeClock(START);
    transactions = fakeTransactions();
    realtime = fakeRealtime();
    const built = newTestService(FriendsService, [
      [Clock, clock],
      [Transactions, transactions],
      [RealtimeService, asRealtime(realtime)],
    ]);
    ({ sut } = built);
    friends = built.mock(FriendsRepository);
    state = fakeFriendsRepository(friends);
    usersService = built.mock(UsersService);
    usersService.getById.mockImplementation(async (id: string) => Object.assign(new User(), { id, username: 'bob', displayName: 'Bob' }));
  });

  const repositoryCalls = () =>
    [friends.lockPair, friends.relationship, friends.getRequest, friends.getFriend].reduce((sum, mock) => sum + mock.mock.calls.length, 0);

  describe('sendRequest', () => {
    it('answers CANNOT_FRIEND_SELF before any query', async () => {
      const error = await rejection(sut.sendRequest(ALICE, ALICE));

      expect(error).toBeInstanceOf(BadRequestException);
      expect(error.getResponse()).toMatchObject({ code: 'CANNOT_FRIEND_SELF' });
      expect(usersService.getById).not.toHaveBeenCalled();
      expect(transactions.run).not.toHaveBeenCalled();
      expect(repositoryCalls()).toBe(0);
    });

    it('opens no transaction for an unknown user', async () => {
      const unknown = new NotFoundException({ code: 'USER_NOT_FOUND' });
      usersService.getById.mockRejectedValueOnce(unknown);

      await expect(sut.sendRequest(ALICE, BOB)).rejects.toBe(unknown);
      expect(transactions.run).not.toHaveBeenCalled();
    });

    it('takes the pair lock before reading the relationship, and reads it inside the transaction', async () => {
      await sut.sendRequest(ALICE, BOB);

      expect(friends.lockPair).toHaveBeenCalledWith(transactions.tx, ALICE, BOB);
      expect(friends.relationship).toHaveBeenCalledWith(ALICE, BOB, transactions.tx);
      expect(friends.lockPair.mock.invocationCallOrder[0]).toBeLessThan(friends.relationship.mock.invocationCallOrder[0]);
      expect(friends.relationship.mock.invocationCallOrder[0]).toBeLessThan(friends.findRequest.mock.invocationCallOrder[0]);
    });

    it('locks the pair, whichever of the two sends (lock_pair keys on the pair, not the order)', async () => {
      await sut.sendRequest(ALICE, BOB);
      await sut.sendRequest(BOB, ALICE);

      expect(friends.lockPair.mock.calls).toEqual([
        [transactions.tx, ALICE, BOB],
        [transactions.tx, BOB, ALICE],
      ]);
    });

    it('answers USER_NOT_FOUND when the target blocked the caller', async () => {
      state.relationship = { ...strangers(), blocked_me: true };

      const error = await rejection(sut.sendRequest(ALICE, BOB));

      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.getResponse()).toMatchObject({ code: 'USER_NOT_FOUND' });
      expect(friends.addRequest).not.toHaveBeenCalled();
    });

    it('answers USER_NOT_FOUND, not USER_BLOCKED, when both blocked each other', async () => {
      state.relationship = { friends: false, blocked_by_me: true, blocked_me: true };

      expect((await rejection(sut.sendRequest(ALICE, BOB))).getResponse()).toMatchObject({ code: 'USER_NOT_FOUND' });
    });

    it('answers USER_BLOCKED when the caller blocked the target', async () => {
      state.relationship = { ...strangers(), blocked_by_me: true };

      const error = await rejection(sut.sendRequest(ALICE, BOB));

      expect(error).toBeInstanceOf(ForbiddenException);
      expect(error.getResponse()).toMatchObject({ code: 'USER_BLOCKED' });
      expect(friends.addRequest).not.toHaveBeenCalled();
    });

    it('answers ALREADY_FRIENDS for a friend', async () => {
      state.relationship = { ...strangers(), friends: true };

      const error = await rejection(sut.sendRequest(ALICE, BOB));

      expect(error).toBeInstanceOf(ConflictException);
      expect(error.getResponse()).toMatchObject({ code: 'ALREADY_FRIENDS' });
      expect(friends.addRequest).not.toHaveBeenCalled();
      expect(friends.deleteRequest).not.toHaveBeenCalled();
    });

    it('accepts their pending request instead: deletes it, adds the friendship both ways and answers accepted', async () => {
      state.requests = [aRequest(BOB, ALICE, 'theirs')];

      const result = await sut.sendRequest(ALICE, BOB);

      expect(friends.deleteRequest).toHaveBeenCalledWith({ id: 'theirs' }, transactions.tx);
      expect(friends.addFriendship).toHaveBeenCalledWith(transactions.tx, ALICE, BOB, START);
      expect(friends.addRequest).not.toHaveBeenCalled();
      expect(result).toEqual({
        status: 'accepted',
        request: null,
        friend: { id: BOB, username: 'bob', displayName: 'Bob', avatarVersion: null, statusMessage: 'hi', friendsSince: START },
      });
      expect(realtime.friendAccepted).toHaveBeenCalledWith(result.friend, {
        id: ALICE,
        username: 'alice',
        displayName: 'Alice',
        avatarVersion: null,
        statusMessage: 'hi',
        friendsSince: START,
      });
      expect(realtime.friendRequest).not.toHaveBeenCalled();
    });

    it('answers REQUEST_ALREADY_SENT when the caller already asked', async () => {
      state.requests = [aRequest(ALICE, BOB, 'mine')];

      const error = await rejection(sut.sendRequest(ALICE, BOB));

      expect(error).toBeInstanceOf(ConflictException);
      expect(error.getResponse()).toMatchObject({ code: 'REQUEST_ALREADY_SENT' });
      expect(friends.addRequest).not.toHaveBeenCalled();
      expect(friends.deleteRequest).not.toHaveBeenCalled();
      expect(realtime.friendRequest).not.toHaveBeenCalled();
    });

    it('saves a new request stamped with the clock and answers pending', async () => {
      const result = await sut.sendRequest(ALICE, BOB);

      expect(friends.addRequest).toHaveBeenCalledWith(transactions.tx, ALICE, BOB, START);
      expect(friends.addRequest).toHaveBeenCalledTimes(1);
      expect(result).toEqual({
        status: 'pending',
        request: {
          id: 'new-request',
          from: { id: ALICE, username: 'alice', displayName: 'Alice', avatarVersion: null },
          to: { id: BOB, username: 'bob', displayName: 'Bob', avatarVersion: null },
          createdAt: START,
        },
        friend: null,
      });
      expect(repositoryCalls()).toBe(3);
      expect(realtime.friendRequest).toHaveBeenCalledWith(result.request);
      expect(realtime.friendAccepted).not.toHaveBeenCalled();
    });
  });

  describe('unfriend', () => {
    it('removes the friendship and any pending requests of the pair, both ways, in a transaction', async () => {
      friends.removeFriendship.mockResolvedValueOnce(2);

      await expect(sut.unfriend(ALICE, BOB)).resolves.toBeUndefined();

      expect(friends.removeFriendship).toHaveBeenCalledWith(transactions.tx, ALICE, BOB);
      expect(transactions.state.rolledBack).toBe(false);
      expect(realtime.friendRemoved).toHaveBeenCalledWith(ALICE, BOB);
    });

    it('takes the pair lock before removing the friendship, so a send in flight commits first or sees no friendship', async () => {
      friends.removeFriendship.mockResolvedValueOnce(2);

      await sut.unfriend(ALICE, BOB);

      expect(friends.lockPair).toHaveBeenCalledWith(transactions.tx, ALICE, BOB);
      expect(friends.lockPair.mock.invocationCallOrder[0]).toBeLessThan(friends.removeFriendship.mock.invocationCallOrder[0]);
    });

    it('answers NOT_FRIENDS from inside the transaction, so deleted requests are rolled back', async () => {
      friends.removeFriendship.mockResolvedValueOnce(0);

      const error = await rejection(sut.unfriend(ALICE, BOB));

      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.getResponse()).toMatchObject({ code: 'NOT_FRIENDS' });
      expect(transactions.run).toHaveBeenCalledTimes(1);
      expect(transactions.state.rolledBack).toBe(true);
      expect(realtime.friendRemoved).not.toHaveBeenCalled();
    });
  });
});
