import type { HttpTestingController } from '@angular/common/http/testing';
import type { MessageDto } from '../../../sdk/models/message-dto';
import type { FakeRealtime } from '../../core/realtime.fixtures';
import { answerNotices, type ConversationStoreSetup, nextRequest, openConversation, setUpConversationStore } from './conversation-store.fixtures';
import type { ConversationStore } from './conversation-store';
import { message } from './message.fixtures';

describe('ConversationStore', () => {
  let setup: ConversationStoreSetup;
  let sut: ConversationStore;
  let http: HttpTestingController;
  let realtime: FakeRealtime;

  const next = (match: (url: string) => boolean) => nextRequest(setup.http, match);
  const open = (messages: MessageDto[], nextCursor: string | null = null, conversation: object = {}) =>
    openConversation(setup, messages, nextCursor, conversation);

  beforeEach(() => {
    setup = setUpConversationStore();
    ({ sut, http, realtime } = setup);
  });

  afterEach(() => {
    answerNotices(http);
    http.verify();
    vi.useRealTimers();
  });

  it('loads the newest page and marks the newest message read', async () => {
    await open([message({ id: 'm1', seq: 1 }), message({ id: 'm2', clientId: 'k2', seq: 2 })], '1');
    expect(sut.messages().map((entry) => entry.message.id)).toEqual(['m1', 'm2']);
    expect(sut.hasOlder()).toBe(true);
    const read = await next((url) => url === '/api/conversations/c1/read');
    expect(read.request.body).toEqual({ messageId: 'm2' });
    read.flush(null);
  });

  it('pages back with before=<cursor>, keeping the order oldest first', async () => {
    sut.setVisibility(() => false);
    await open([message({ id: 'm5', clientId: 'k5', seq: 5 })], '5');
    const done = sut.loadOlder();
    (await next((url) => url === '/api/conversations/c1/messages?before=5&limit=50')).flush({
      items: [message({ id: 'm4', clientId: 'k4', seq: 4 })],
      nextCursor: null,
    });
    await done;
    expect(sut.messages().map((entry) => entry.message.seq)).toEqual([4, 5]);
    expect(sut.hasOlder()).toBe(false);
  });

  it('sends optimistically; an unreachable server leaves it pending, and a reconnect sends it again with the same clientId', async () => {
    sut.setVisibility(() => false);
    await open([]);
    const sending = sut.send('  Hello  ');
    expect(sut.messages()).toHaveLength(1);
    expect(sut.messages()[0].state).toBe('pending');
    expect(sut.messages()[0].message.body).toBe('Hello');
    const first = await next((url) => url === '/api/conversations/c1/messages');
    const clientId = first.request.body.clientId;
    first.flush(null, { status: 0, statusText: 'Network error' });
    await sending;
    await Promise.resolve();
    expect(sut.messages()[0].state).toBe('pending');

    realtime.ready$.next({});
    const second = await next((url) => url === '/api/conversations/c1/messages');
    expect(second.request.body).toEqual({ clientId, body: 'Hello', expiresInSeconds: null });
    second.flush(message({ id: 'm9', clientId, senderId: 'u1', body: 'Hello', seq: 9 }));
    (await next((url) => url === '/api/conversations/c1/messages?after=0&limit=50')).flush({ items: [], nextCursor: null });
    await vi.waitFor(() => expect(sut.messages()[0]).toMatchObject({ state: 'sent', message: { id: 'm9' } }));
    expect(sut.messages()).toHaveLength(1);
    (await next((url) => url === '/api/conversations/c1')).flush({ id: 'c1', peer: null, defaultExpiresInSeconds: null, defaultExpiryMode: 'afterSend', encrypted: false });
  });

  it('shows the server’s reason for a refusal, keeps the message until it is discarded, and sends later ones meanwhile', async () => {
    sut.setVisibility(() => false);
    await open([]);
    const first = sut.send('One');
    const refused = await next((url) => url === '/api/conversations/c1/messages');
    refused.flush({ code: 'BLOCKED', message: 'blocked' }, { status: 403, statusText: 'Forbidden' });
    await first;
    await vi.waitFor(() => expect(sut.messages()[0]).toMatchObject({ state: 'failed', refused: true, reason: expect.stringContaining('blocked') }));

    void sut.send('Two');
    const second = await next((url) => url === '/api/conversations/c1/messages');
    expect(second.request.body.body).toBe('Two');
    second.flush(message({ id: 'm2', clientId: second.request.body.clientId, senderId: 'u1', body: 'Two', seq: 2 }));
    await vi.waitFor(() => expect(sut.messages().map((entry) => entry.state)).toEqual(['sent', 'failed']));

    await sut.discard(sut.messages()[1].message.clientId);
    expect(sut.messages().map((entry) => entry.message.body)).toEqual(['Two']);
    http.expectNone((request) => request.url === '/api/conversations/c1/messages');
  });

  it('does not send a text longer than the server accepts', async () => {
    await open([]);
    await sut.send('x'.repeat(4001));
    expect(sut.messages()).toHaveLength(0);
    http.expectNone((request) => request.url === '/api/conversations/c1/messages');
  });

  it('matches its own message.created event to the optimistic copy by clientId', async () => {
    sut.setVisibility(() => false);
    await open([]);
    const sending = sut.send('Hello');
    const request = await next((url) => url === '/api/conversations/c1/messages');
    const clientId = request.request.body.clientId;
    realtime.serve('message.created', message({ id: 'm3', clientId, senderId: 'u1', body: 'Hello', seq: 3 }));
    expect(sut.messages()).toHaveLength(1);
    request.flush(message({ id: 'm3', clientId, senderId: 'u1', body: 'Hello', seq: 3 }), { status: 200, statusText: 'OK' });
    await sending;
    expect(sut.messages()).toHaveLength(1);
    expect(sut.messages()[0].state).toBe('sent');
  });

  it('applies live edits and deletions, and ignores other conversations', async () => {
    sut.setVisibility(() => false);
    await open([message({ id: 'm1', seq: 1 })]);
    realtime.serve('message.updated', message({ id: 'm1', seq: 1, body: 'Hi there', editedAt: '2026-01-01T10:01:00.000Z' }));
    expect(sut.messages()[0].message.body).toBe('Hi there');
    realtime.serve('message.created', message({ id: 'x1', clientId: 'x', conversationId: 'c2', seq: 1 }));
    expect(sut.messages()).toHaveLength(1);
    realtime.serve('message.deleted', message({ id: 'm1', seq: 1, body: null, deleted: true }));
    expect(sut.messages()[0].message.deleted).toBe(true);
  });

  it('shows "Seen" under my newest message the peer has read', async () => {
    sut.setVisibility(() => false);
    await open([message({ id: 'm1', senderId: 'u1', seq: 1 }), message({ id: 'm2', clientId: 'k2', senderId: 'u1', seq: 2 })]);
    expect(sut.seenMessageId()).toBeNull();
    realtime.serve('conversation.read', { conversationId: 'c1', userId: 'u2', messageId: 'm1', seq: 1, readAt: '' });
    expect(sut.seenMessageId()).toBeNull();
    realtime.serve('conversation.read', { conversationId: 'c1', userId: 'u2', messageId: 'm2', seq: 2, readAt: '' });
    expect(sut.seenMessageId()).toBe('m2');
    realtime.serve('conversation.read', { conversationId: 'c1', userId: 'u1', messageId: 'm2', seq: 2, readAt: '' });
    expect(sut.seenMessageId()).toBe('m2');
  });

  it('shows typing until expiresAt, or until the peer\'s message arrives', async () => {
    sut.setVisibility(() => false);
    await open([]);
    vi.useFakeTimers();
    realtime.serve('typing', { conversationId: 'c1', userId: 'u2', expiresAt: new Date(Date.now() + 5000).toISOString(), ttlSeconds: 5 });
    expect(sut.peerTyping()).toBe(true);
    vi.advanceTimersByTime(5001);
    expect(sut.peerTyping()).toBe(false);
    realtime.serve('typing', { conversationId: 'c1', userId: 'u2', expiresAt: new Date(Date.now() + 5000).toISOString(), ttlSeconds: 5 });
    realtime.serve('message.created', message({ id: 'm1', seq: 1 }));
    expect(sut.peerTyping()).toBe(false);
  });

  it('catches up after a reconnect with after=<newest seq>, following nextCursor, then reads the conversation again', async () => {
    sut.setVisibility(() => false);
    await open([message({ id: 'm1', seq: 1 }), message({ id: 'm2', clientId: 'k2', seq: 2 })]);
    realtime.ready$.next({});
    (await next((url) => url === '/api/conversations/c1/messages?after=2&limit=50')).flush({
      items: [message({ id: 'm3', clientId: 'k3', seq: 3 })],
      nextCursor: '3',
    });
    (await next((url) => url === '/api/conversations/c1/messages?after=3&limit=50')).flush({
      items: [message({ id: 'm4', clientId: 'k4', seq: 4, senderId: 'u1' })],
      nextCursor: null,
    });
    await vi.waitFor(() => expect(sut.messages().map((entry) => entry.message.seq)).toEqual([1, 2, 3, 4]));
    // What changed while away: the default timer, and bob read up to alice's newest message.
    (await next((url) => url === '/api/conversations/c1')).flush({
      id: 'c1',
      peer: { id: 'u2', username: 'bob', displayName: 'Bob' },
      defaultExpiresInSeconds: 300,
      defaultExpiryMode: 'afterSend',
      peerLastReadSeq: 4,
    });
    await vi.waitFor(() => expect(sut.defaultTimer()).toEqual({ seconds: 300, mode: 'afterSend' }));
    expect(sut.seenMessageId()).toBe('m4');
  });

  describe('"Seen" after a reload', () => {
    it('starts from the peer\'s read marker the conversation carries', async () => {
      sut.setVisibility(() => false);
      const mine = [message({ id: 'm1', senderId: 'u1', seq: 1 }), message({ id: 'm2', clientId: 'k2', senderId: 'u1', seq: 2 })];
      await open(mine, null, { peerLastReadSeq: 2 });
      expect(sut.peerReadSeq()).toBe(2);
      expect(sut.seenMessageId()).toBe('m2');
    });

    it('shows nothing when the peer read only older messages, or is gone', async () => {
      sut.setVisibility(() => false);
      await open([message({ id: 'm1', senderId: 'u1', seq: 1 }), message({ id: 'm2', clientId: 'k2', senderId: 'u1', seq: 2 })], null, { peerLastReadSeq: 1 });
      expect(sut.seenMessageId()).toBeNull();
      await open([message({ id: 'm1', senderId: 'u1', seq: 1 })], null, { peer: null, peerLastReadSeq: null });
      expect(sut.peerReadSeq()).toBe(0);
      expect(sut.seenMessageId()).toBeNull();
    });
  });
});
