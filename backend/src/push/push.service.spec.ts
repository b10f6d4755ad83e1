import { createECDH, randomBytes } from 'node:crypto';
import { Clock } from '../common/clock.js';
import { AppConfig, loadConfig } from '../config/app-config.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { Transactions } from '../database/transaction.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { fakeTransactions, newTestService } from '../../test/helpers/new-test-service.js';
import { rejection } from '../../test/helpers/rejection.js';
import { PushRepository } from './push.repository.js';
import { PushSender } from './push-sender.js';
import { PushService } from './push.service.js';

const BOB = 'bbbbbbbb-0000-4000-8000-000000000002';
const SESSION = 'bbbbbbbb-1111-4000-8000-000000000002';
const CONVERSATION = 'cccccccc-0000-4000-8000-000000000003';
const target = { endpoint: 'https://fcm.googleapis.com/fcm/send/abc', p256dh: createECDH('prime256v1').generateKeys().toString('base64url'), auth: randomBytes(16).toString('base64url') };

function setup() {
  const built = newTestService(PushService, [
    [Transactions, fakeTransactions()],
    [AppConfig, loadConfig({})],
    [Clock, new FakeClock(new Date('2030-01-01T00:00:00Z'))],
  ]);
  const subscriptions = built.mock(PushRepository);
  subscriptions.ofUser.mockResolvedValue([target]);
  subscriptions.save.mockResolvedValue(true);
  const realtime = built.mock(RealtimeService);
  realtime.isOnline.mockResolvedValue(false);
  const conversations = built.mock(ConversationsService);
  conversations.pushState.mockResolvedValue({ muted: false, unread: 4 });
  const sender = built.mock(PushSender);
  sender.send.mockResolvedValue({ outcome: 'sent', status: 201 });
  return { sut: built.sut, subscriptions, realtime, conversations, sender };
}

describe(PushService.name, () => {
  describe('subscribe', () => {
    it('stores a subscription to a push service the server allows', async () => {
      const { sut, subscriptions } = setup();
      await sut.subscribe(BOB, SESSION, { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } });
      expect(subscriptions.save).toHaveBeenCalledWith(expect.anything(), expect.objectContaining({ ...target, sessionId: SESSION, userId: BOB }));
    });

    it.each(['http://fcm.googleapis.com/x', 'https://fcm.googleapis.com.evil.example/x', 'https://localhost/x', 'https://user@fcm.googleapis.com/x', 'https://fcm.googleapis.com:8443/x', '::'])(
      'refuses the endpoint %s and stores nothing',
      async (endpoint) => {
        const { sut, subscriptions } = setup();
        expect(await rejection(sut.subscribe(BOB, SESSION, { endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }))).toMatchObject({
          response: { code: 'INVALID_PUSH_ENDPOINT' },
        });
        expect(subscriptions.save).not.toHaveBeenCalled();
      },
    );

    it('refuses a key that is not a point of P-256', async () => {
      const { sut, subscriptions } = setup();
      const offCurve = Buffer.alloc(65, 7);
      offCurve[0] = 4;
      expect(await rejection(sut.subscribe(BOB, SESSION, { endpoint: target.endpoint, keys: { p256dh: offCurve.toString('base64url'), auth: target.auth } }))).toMatchObject({
        response: { code: 'INVALID_PUSH_KEYS' },
      });
      expect(subscriptions.save).not.toHaveBeenCalled();
    });

    it('answers SESSION_REVOKED when the session ended meanwhile', async () => {
      const { sut, subscriptions } = setup();
      subscriptions.save.mockResolvedValue(false);
      expect(await rejection(sut.subscribe(BOB, SESSION, { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }))).toMatchObject({
        response: { code: 'SESSION_REVOKED' },
      });
    });
  });

  describe('messageCreated', () => {
    it('pushes { type, conversationId, unread } to each subscription of a user with no socket', async () => {
      const { sut, sender } = setup();
      await sut.messageCreated(BOB, CONVERSATION);
      expect(sender.send).toHaveBeenCalledWith(target, { type: 'message', conversationId: CONVERSATION, unread: 4 });
    });

    it('pushes nothing to a user with a socket, for a muted conversation, or without subscriptions', async () => {
      for (const arrange of [
        (s: ReturnType<typeof setup>) => s.realtime.isOnline.mockResolvedValue(true),
        (s: ReturnType<typeof setup>) => s.conversations.pushState.mockResolvedValue({ muted: true, unread: 1 }),
        (s: ReturnType<typeof setup>) => s.conversations.pushState.mockResolvedValue(undefined),
        (s: ReturnType<typeof setup>) => s.subscriptions.ofUser.mockResolvedValue([]),
      ]) {
        const fixture = setup();
        arrange(fixture);
        await fixture.sut.messageCreated(BOB, CONVERSATION);
        expect(fixture.sender.send).not.toHaveBeenCalled();
      }
    });

    it('asks the database nothing for a recipient with a socket open', async () => {
      const { sut, realtime, subscriptions, conversations, sender } = setup();
      realtime.isOnline.mockResolvedValue(true);
      await sut.messageCreated(BOB, CONVERSATION);
      expect(realtime.isOnline).toHaveBeenCalledWith(BOB);
      expect(subscriptions.ofUser).not.toHaveBeenCalled();
      expect(conversations.pushState).not.toHaveBeenCalled();
      expect(sender.send).not.toHaveBeenCalled();
    });

    it('deletes a subscription the push service says is gone, and keeps one that failed otherwise', async () => {
      const { sut, sender, subscriptions } = setup();
      sender.send.mockResolvedValueOnce({ outcome: 'gone', status: 410 });
      await sut.messageCreated(BOB, CONVERSATION);
      expect(subscriptions.deleteGone).toHaveBeenCalledWith(target);

      subscriptions.deleteGone.mockClear();
      sender.send.mockResolvedValueOnce({ outcome: 'failed', status: 500 });
      await sut.messageCreated(BOB, CONVERSATION);
      expect(subscriptions.deleteGone).not.toHaveBeenCalled();
    });

    it('holds a stop until the pushes on their way are done, so none reaches for a closed pool', async () => {
      const { sut, sender, subscriptions } = setup();
      let answer!: (value: { outcome: 'gone'; status: number }) => void;
      sender.send.mockReturnValue(new Promise((resolve) => (answer = resolve)));
      const push = sut.messageCreated(BOB, CONVERSATION);
      let stopped = false;
      const stopping = sut.beforeApplicationShutdown().then(() => (stopped = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(stopped).toBe(false);
      answer({ outcome: 'gone', status: 410 });
      await stopping;
      await push;
      // The push finished its work (here: deleting the subscription that is gone) before the stop went on.
      expect(subscriptions.deleteGone).toHaveBeenCalledWith(target);
      await expect(sut.beforeApplicationShutdown()).resolves.toBeUndefined();
    });

    it('never throws: a failing lookup is logged', async () => {
      const { sut, subscriptions } = setup();
      subscriptions.ofUser.mockRejectedValue(new Error('database down'));
      await expect(sut.messageCreated(BOB, CONVERSATION)).resolves.toBeUndefined();
    });
  });
});
