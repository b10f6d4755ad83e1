import type { HttpTestingController } from '@angular/common/http/testing';
import type { MessageDto } from '../../../sdk/models/message-dto';
import type { FakeRealtime } from '../../core/realtime.fixtures';
import { answerNotices, type ConversationStoreSetup, nextRequest, openConversation, setUpConversationStore } from './conversation-store.fixtures';
import type { ConversationStore } from './conversation-store';
import { message } from './message.fixtures';

describe('ConversationStore disappearing messages', () => {
  let setup: ConversationStoreSetup;
  let sut: ConversationStore;
  let http: HttpTestingController;
  let realtime: FakeRealtime;
  let toasts: ConversationStoreSetup['toasts'];

  const next = (match: (url: string) => boolean) => nextRequest(setup.http, match);
  const open = (messages: MessageDto[], nextCursor: string | null = null, conversation: object = {}) =>
    openConversation(setup, messages, nextCursor, conversation);

  beforeEach(() => {
    setup = setUpConversationStore();
    ({ sut, http, realtime, toasts } = setup);
  });

  afterEach(() => {
    answerNotices(http);
    http.verify();
    vi.useRealTimers();
  });

  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T10:00:00.000Z'), toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    sut.setVisibility(() => false);
  });

  const timed = (overrides: Partial<MessageDto>) =>
    message({ expiresInSeconds: 30, expiryMode: 'afterSend', expiresAt: '2026-01-01T10:00:30.000Z', ...overrides });

  it('removes each message when its expiresAt passes, not a moment before', async () => {
    await open([
      timed({ id: 'm1', seq: 1, expiresAt: '2026-01-01T10:00:10.000Z' }),
      message({ id: 'm2', clientId: 'k2', seq: 2 }),
      timed({ id: 'm3', clientId: 'k3', seq: 3 }),
    ]);
    vi.advanceTimersByTime(9_999);
    expect(sut.messages().map((entry) => entry.message.id)).toEqual(['m1', 'm2', 'm3']);
    vi.advanceTimersByTime(1);
    expect(sut.messages().map((entry) => entry.message.id)).toEqual(['m2', 'm3']);
    vi.advanceTimersByTime(20_000);
    expect(sut.messages().map((entry) => entry.message.id)).toEqual(['m2']);
  });

  it('removes a live message on time, and what the sweep reports as expired', async () => {
    await open([message({ id: 'm1', seq: 1 }), message({ id: 'm2', clientId: 'k2', seq: 2 })]);
    realtime.serve('message.created', timed({ id: 'm3', clientId: 'k3', seq: 3, expiresAt: '2026-01-01T10:00:05.000Z' }));
    expect(sut.messages()).toHaveLength(3);
    vi.advanceTimersByTime(5_000);
    expect(sut.messages().map((entry) => entry.message.id)).toEqual(['m1', 'm2']);
    realtime.serve('message.expired', { conversationId: 'c2', messageIds: ['m1'] });
    realtime.serve('message.expired', { conversationId: 'c1', messageIds: ['m1', 'm3'] });
    expect(sut.messages().map((entry) => entry.message.id)).toEqual(['m2']);
  });

  it('starts an afterRead clock when the recipient reads, from readAt, for either side', async () => {
    await open([
      timed({ id: 'm1', seq: 1, senderId: 'u1', expiryMode: 'afterRead', expiresAt: null }),
      timed({ id: 'm2', clientId: 'k2', seq: 2, senderId: 'u2', expiryMode: 'afterRead', expiresAt: null }),
    ]);
    realtime.serve('conversation.read', { conversationId: 'c1', userId: 'u2', messageId: 'm2', seq: 2, readAt: '2026-01-01T10:00:02.000Z' });
    expect(sut.messages()[0].message.expiresAt).toBe('2026-01-01T10:00:32.000Z');
    expect(sut.messages()[1].message.expiresAt).toBeNull();
    realtime.serve('conversation.read', { conversationId: 'c1', userId: 'u1', messageId: 'm2', seq: 2, readAt: '2026-01-01T10:00:10.000Z' });
    expect(sut.messages()[1].message.expiresAt).toBe('2026-01-01T10:00:40.000Z');
    vi.advanceTimersByTime(32_000);
    expect(sut.messages().map((entry) => entry.message.id)).toEqual(['m2']);
    vi.advanceTimersByTime(8_000);
    expect(sut.messages()).toEqual([]);
  });

  it('sends the next message with its own timer once, then with the chat default', async () => {
    await open([], null, { defaultExpiresInSeconds: 3600, defaultExpiryMode: 'afterRead' });
    expect(sut.timerForNext()).toEqual({ seconds: 3600, mode: 'afterRead' });
    sut.setNextTimer({ seconds: 30, mode: 'afterSend' });
    const first = sut.send('Quick');
    const firstRequest = await next((url) => url === '/api/conversations/c1/messages');
    expect(firstRequest.request.body).toMatchObject({ body: 'Quick', expiresInSeconds: 30, expiryMode: 'afterSend' });
    expect(sut.nextTimer()).toBeNull();
    firstRequest.flush(timed({ id: 'm1', clientId: firstRequest.request.body.clientId, senderId: 'u1', seq: 1 }));
    await first;

    const second = sut.send('Later');
    const secondRequest = await next((url) => url === '/api/conversations/c1/messages');
    expect(secondRequest.request.body).toMatchObject({ body: 'Later', expiresInSeconds: 3600, expiryMode: 'afterRead' });
    secondRequest.flush(message({ id: 'm2', clientId: secondRequest.request.body.clientId, senderId: 'u1', seq: 2 }));
    await second;

    sut.setNextTimer({ seconds: null, mode: 'afterSend' });
    const third = sut.send('Keep this');
    const thirdRequest = await next((url) => url === '/api/conversations/c1/messages');
    expect(thirdRequest.request.body).toEqual({ clientId: thirdRequest.request.body.clientId, body: 'Keep this', expiresInSeconds: null });
    thirdRequest.flush(message({ id: 'm3', clientId: thirdRequest.request.body.clientId, senderId: 'u1', seq: 3 }));
    await third;
  });

  it('changes the chat default, and says in words when that fails', async () => {
    await open([]);
    const saving = sut.setDefaultTimer({ seconds: 300, mode: 'afterRead' });
    expect(sut.savingDefault()).toBe(true);
    const patch = await next((url) => url === '/api/conversations/c1');
    expect(patch.request.method).toBe('PATCH');
    expect(patch.request.body).toEqual({ defaultExpiresInSeconds: 300, defaultExpiryMode: 'afterRead' });
    patch.flush({ id: 'c1', peer: null, defaultExpiresInSeconds: 300, defaultExpiryMode: 'afterRead', peerLastReadSeq: 0 });
    await saving;
    expect(sut.defaultTimer()).toEqual({ seconds: 300, mode: 'afterRead' });
    expect(sut.savingDefault()).toBe(false);
    // The history shows the server's notice of it once, though the change's own event comes after the answer.
    const notice = { id: 'n1', conversationId: 'c1', actorId: 'u1', type: 'timer' as const, expiresInSeconds: 300, expiryMode: 'afterRead' as const, afterSeq: 0, createdAt: '2026-01-01T10:00:00.000Z' };
    (await next((url) => url === '/api/conversations/c1/notices?limit=100')).flush({ items: [notice], nextCursor: null });
    realtime.serve('conversation.updated', { conversationId: 'c1', userId: 'u1', defaultExpiresInSeconds: 300, defaultExpiryMode: 'afterRead', encrypted: false });
    (await next((url) => url === '/api/conversations/c1/notices?limit=100')).flush({ items: [notice], nextCursor: null });
    await vi.waitFor(() => expect(sut.notices().map((shown) => shown.text)).toEqual(['You set new messages to disappear 5 minutes after reading.']));

    const failing = sut.setDefaultTimer({ seconds: null, mode: 'afterRead' });
    (await next((url) => url === '/api/conversations/c1')).flush(
      { statusCode: 403, error: 'Forbidden', code: 'BLOCKED', message: 'This conversation is read-only because of a block' },
      { status: 403, statusText: 'Forbidden' },
    );
    await failing;
    expect(toasts.error).toHaveBeenCalledTimes(1);
    expect(sut.defaultTimer()).toEqual({ seconds: 300, mode: 'afterRead' });
  });

  it('follows the peer changing the default live, and tells the user', async () => {
    await open([]);
    realtime.serve('conversation.updated', { conversationId: 'c1', userId: 'u2', defaultExpiresInSeconds: 86_400, defaultExpiryMode: 'afterSend' });
    expect(sut.defaultTimer()).toEqual({ seconds: 86_400, mode: 'afterSend' });
    (await next((url) => url.startsWith('/api/conversations/c1/notices'))).flush({ items: [], nextCursor: null });
    expect(toasts.info).toHaveBeenCalledWith('Bob set new messages to disappear 1 day after sending.');
    realtime.serve('conversation.updated', { conversationId: 'c2', userId: 'u2', defaultExpiresInSeconds: null, defaultExpiryMode: 'afterSend' });
    realtime.serve('conversation.updated', { conversationId: 'c1', userId: 'u1', defaultExpiresInSeconds: null, defaultExpiryMode: 'afterSend' });
    expect(sut.defaultTimer()).toEqual({ seconds: null, mode: 'afterSend' });
    (await next((url) => url.startsWith('/api/conversations/c1/notices'))).flush({ items: [], nextCursor: null });
    expect(toasts.info).toHaveBeenCalledTimes(1);
  });

  it('shows the notices the server keeps at their place, whoever made them, once each however often they are listed', async () => {
    const notice = (id: string, actorId: string | null, expiresInSeconds: number | null, afterSeq: number) =>
      ({ id, conversationId: 'c1', actorId, type: 'timer' as const, expiresInSeconds, expiryMode: 'afterSend' as const, afterSeq, createdAt: `2026-01-01T09:00:0${afterSeq}.000Z` });
    await openConversation(setup, [message({ id: 'm1', seq: 4 })], null, {}, [notice('n2', 'u1', null, 4), notice('n1', 'u2', 86_400, 3)]);
    await vi.waitFor(() =>
      expect(sut.notices().map(({ text, afterSeq }) => ({ text, afterSeq }))).toEqual([
        { text: 'Bob set new messages to disappear 1 day after sending.', afterSeq: 3 },
        { text: 'You turned off disappearing messages.', afterSeq: 4 },
      ]),
    );

    // A change lists them again, with one more by an account erased since.
    realtime.serve('conversation.updated', { conversationId: 'c1', userId: 'u2', defaultExpiresInSeconds: 60, defaultExpiryMode: 'afterSend' });
    (await next((url) => url.startsWith('/api/conversations/c1/notices'))).flush({ items: [notice('n3', null, 60, 4), notice('n2', 'u1', null, 4)], nextCursor: null });
    await vi.waitFor(() => expect(sut.notices().map((shown) => shown.id)).toEqual(['n1', 'n2', 'n3']));
    expect(sut.notices()[2].text).toBe('Deleted user set new messages to disappear 1 minute after sending.');
  });
});
