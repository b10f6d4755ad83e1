import { jest } from '@jest/globals';
import { Logger, NotFoundException } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { newTestService } from '../../test/helpers/new-test-service.js';
import type { PeerRelationship } from './realtime.service.js';
import { RealtimeService } from './realtime.service.js';
import { TYPING_THROTTLE_MS, TYPING_TTL_SECONDS, TypingRelay } from './typing-relay.js';

const ALICE = 'aaaaaaaa-0000-4000-8000-000000000001';
const BOB = 'bbbbbbbb-0000-4000-8000-000000000002';
const CONVERSATION = 'cccccccc-0000-4000-8000-000000000003';
const OTHER_CONVERSATION = 'cccccccc-0000-4000-8000-000000000004';
const START = new Date('2030-01-01T00:00:00Z');
const FRIENDS: PeerRelationship = { friends: true, blockedByMe: false, blockedMe: false };

function setup() {
  const clock = new FakeClock(START);
  const built = newTestService(TypingRelay, [[Clock, clock]]);
  const realtime = built.mock(RealtimeService);
  realtime.peerOf.mockResolvedValue(BOB);
  realtime.relationship.mockResolvedValue(FRIENDS);
  return { sut: built.sut, realtime, clock };
}

/** A promise the test settles by hand, to hold a check open while other events arrive. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

describe(TypingRelay.name, () => {
  afterEach(() => jest.restoreAllMocks());

  describe('relay', () => {
    it('relays to the peer with a deadline of TYPING_TTL_SECONDS from now', async () => {
      const { sut, realtime } = setup();

      expect(await sut.relay(ALICE, { conversationId: CONVERSATION })).toEqual({ ok: true });
      expect(realtime.peerOf).toHaveBeenCalledWith(ALICE, CONVERSATION);
      expect(realtime.relationship).toHaveBeenCalledWith(ALICE, BOB);
      expect(realtime.typing).toHaveBeenCalledWith(BOB, {
        conversationId: CONVERSATION,
        userId: ALICE,
        expiresAt: new Date(START.getTime() + TYPING_TTL_SECONDS * 1000),
        ttlSeconds: TYPING_TTL_SECONDS,
      });
    });

    it.each([
      ['null', null],
      ['a string', CONVERSATION],
      ['an array', [{ conversationId: CONVERSATION }]],
      ['no conversation id', {}],
      ['a conversation id that is not a UUID', { conversationId: 'c1' }],
      ['an unknown property', { conversationId: CONVERSATION, extra: true }],
    ])('refuses %s without looking anything up', async (_name, body) => {
      const { sut, realtime } = setup();

      expect(await sut.relay(ALICE, body)).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
      expect(realtime.peerOf).not.toHaveBeenCalled();
      expect(realtime.typing).not.toHaveBeenCalled();
    });

    it('relays once per TYPING_THROTTLE_MS and acknowledges the rest', async () => {
      const { sut, realtime, clock } = setup();

      await sut.relay(ALICE, { conversationId: CONVERSATION });
      clock.advance(TYPING_THROTTLE_MS - 1);
      expect(await sut.relay(ALICE, { conversationId: CONVERSATION })).toEqual({ ok: true });
      expect(realtime.typing).toHaveBeenCalledTimes(1);
      expect(realtime.peerOf).toHaveBeenCalledTimes(1);

      clock.advance(1);
      expect(await sut.relay(ALICE, { conversationId: CONVERSATION })).toEqual({ ok: true });
      expect(realtime.typing).toHaveBeenCalledTimes(2);
    });

    it('throttles each user and conversation on its own', async () => {
      const { sut, realtime } = setup();

      await sut.relay(ALICE, { conversationId: CONVERSATION });
      await sut.relay(ALICE, { conversationId: OTHER_CONVERSATION });
      await sut.relay(BOB, { conversationId: CONVERSATION });

      expect(realtime.typing).toHaveBeenCalledTimes(3);
    });

    it('claims the slot before its checks run: events arriving meanwhile share the first answer and relay nothing more', async () => {
      const { sut, realtime } = setup();
      const peer = deferred<string | null>();
      realtime.peerOf.mockReturnValueOnce(peer.promise);

      const answers = Promise.all(Array.from({ length: 10 }, () => sut.relay(ALICE, { conversationId: CONVERSATION })));
      await new Promise((resolve) => setImmediate(resolve));
      peer.resolve(BOB);

      expect(await answers).toEqual(Array(10).fill({ ok: true }));
      expect(realtime.peerOf).toHaveBeenCalledTimes(1);
      expect(realtime.typing).toHaveBeenCalledTimes(1);
    });

    it('gives events arriving during a refused check the same refusal, then frees the slot', async () => {
      const { sut, realtime } = setup();
      const peer = deferred<string | null>();
      realtime.peerOf.mockReturnValueOnce(peer.promise);

      const answers = Promise.all(Array.from({ length: 3 }, () => sut.relay(ALICE, { conversationId: CONVERSATION })));
      await new Promise((resolve) => setImmediate(resolve));
      peer.resolve(null);

      expect(await answers).toEqual(Array(3).fill(expect.objectContaining({ ok: false, code: 'PEER_GONE' })));
      expect(await sut.relay(ALICE, { conversationId: CONVERSATION })).toEqual({ ok: true });
      expect(realtime.peerOf).toHaveBeenCalledTimes(2);
      expect(realtime.typing).toHaveBeenCalledTimes(1);
    });

    it.each([
      ['BLOCKED', { friends: true, blockedByMe: true, blockedMe: false }],
      ['BLOCKED', { friends: false, blockedByMe: false, blockedMe: true }],
      ['NOT_FRIENDS', { friends: false, blockedByMe: false, blockedMe: false }],
    ])('refuses with %s when the two stand as %o', async (code, relationship) => {
      const { sut, realtime } = setup();
      realtime.relationship.mockResolvedValue(relationship);

      expect(await sut.relay(ALICE, { conversationId: CONVERSATION })).toMatchObject({ ok: false, code });
      expect(realtime.typing).not.toHaveBeenCalled();
    });

    it('passes on the code of a domain error, such as a conversation the sender is not in', async () => {
      const { sut, realtime } = setup();
      realtime.peerOf.mockRejectedValue(new NotFoundException({ code: 'CONVERSATION_NOT_FOUND', message: 'Conversation not found' }));

      expect(await sut.relay(ALICE, { conversationId: CONVERSATION })).toEqual({ ok: false, code: 'CONVERSATION_NOT_FOUND', message: 'Conversation not found' });
    });

    it('answers INTERNAL_ERROR when a lookup fails unexpectedly, and tries again on the next event', async () => {
      const { sut, realtime } = setup();
      realtime.relationship.mockRejectedValueOnce(new Error('connection reset'));
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

      expect(await sut.relay(ALICE, { conversationId: CONVERSATION })).toMatchObject({ ok: false, code: 'INTERNAL_ERROR' });
      expect(logged).toHaveBeenCalledWith('typing failed: connection reset');
      expect(await sut.relay(ALICE, { conversationId: CONVERSATION })).toEqual({ ok: true });
    });
  });
});
