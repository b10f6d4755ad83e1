import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { AuthStore } from '../../core/auth-store';
import { Realtime } from '../../core/realtime';
import { FakeRealtime } from '../../core/realtime.fixtures';
import { Toasts } from '../../shared/toasts';
import { message } from './message.fixtures';
import { attachmentDto } from './attachments/attachment.fixtures';
import { type Upload, UploadsStore } from './attachments/uploads-store';
import { ConversationStore } from './conversation-store';

describe('ConversationStore', () => {
  let sut: ConversationStore;
  let http: HttpTestingController;
  let realtime: FakeRealtime;
  let toasts: { info: ReturnType<typeof vi.fn>; error: ReturnType<typeof vi.fn> };

  /** The request matching `match`, once the store has made it (microtasks only: fake timers stay where they are). */
  async function next(match: (url: string) => boolean) {
    for (let attempt = 0; attempt < 100; attempt++) {
      const found = http.match((request) => match(request.urlWithParams));
      if (found.length > 1) throw new Error(`${found.length} requests matched`);
      if (found.length === 1) return found[0];
      await Promise.resolve();
    }
    throw new Error('No request matched');
  }

  async function open(messages: MessageDto[], nextCursor: string | null = null, conversation: object = {}): Promise<void> {
    const done = sut.open('c1');
    (await next((url) => url === '/api/conversations/c1')).flush({
      id: 'c1',
      peer: { id: 'u2', username: 'bob', displayName: 'Bob' },
      defaultExpiresInSeconds: null,
      defaultExpiryMode: 'afterSend',
      peerLastReadSeq: 0,
      ...conversation,
    });
    (await next((url) => url === '/api/conversations/c1/messages?limit=50')).flush({ items: messages, nextCursor });
    await done;
  }

  beforeEach(() => {
    realtime = new FakeRealtime();
    toasts = { info: vi.fn(), error: vi.fn() };
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        ConversationStore,
        UploadsStore,
        { provide: Realtime, useValue: realtime },
        { provide: AuthStore, useValue: { user: signal({ id: 'u1' }) } },
        { provide: Toasts, useValue: toasts },
      ],
    });
    sut = TestBed.inject(ConversationStore);
    sut.setVisibility(() => true);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
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

  it('sends optimistically, marks a failure, and retries with the same clientId', async () => {
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
    expect(sut.messages()[0].state).toBe('failed');

    const retrying = sut.retry(clientId);
    expect(sut.messages()[0].state).toBe('pending');
    const second = await next((url) => url === '/api/conversations/c1/messages');
    expect(second.request.body).toEqual({ clientId, body: 'Hello', expiresInSeconds: null });
    second.flush(message({ id: 'm9', clientId, senderId: 'u1', body: 'Hello', seq: 9 }));
    await retrying;
    expect(sut.messages()).toHaveLength(1);
    expect(sut.messages()[0]).toMatchObject({ state: 'sent', message: { id: 'm9' } });
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

  describe('disappearing messages', () => {
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
      expect(toasts.info).toHaveBeenCalledWith('Bob set new messages to disappear 1 day after sending.');
      realtime.serve('conversation.updated', { conversationId: 'c2', userId: 'u2', defaultExpiresInSeconds: null, defaultExpiryMode: 'afterSend' });
      realtime.serve('conversation.updated', { conversationId: 'c1', userId: 'u1', defaultExpiresInSeconds: null, defaultExpiryMode: 'afterSend' });
      expect(sut.defaultTimer()).toEqual({ seconds: null, mode: 'afterSend' });
      expect(toasts.info).toHaveBeenCalledTimes(1);
    });
  });

  describe('loadOlder', () => {
    it('shows that it is loading, and after a failure lets the next attempt try again', async () => {
      sut.setVisibility(() => false);
      await open([message({ id: 'm5', clientId: 'k5', seq: 5 })], '5');
      const failing = sut.loadOlder();
      expect(sut.loadingOlder()).toBe(true);
      void sut.loadOlder();
      (await next((url) => url === '/api/conversations/c1/messages?before=5&limit=50')).flush(null, { status: 0, statusText: 'Network error' });
      await failing;
      expect(sut.loadingOlder()).toBe(false);
      expect(sut.olderFailed()).toBe(true);
      expect(toasts.error).toHaveBeenCalledTimes(1);
      expect(sut.messages()).toHaveLength(1);

      const retry = sut.loadOlder();
      expect(sut.olderFailed()).toBe(false);
      (await next((url) => url === '/api/conversations/c1/messages?before=5&limit=50')).flush({
        items: [message({ id: 'm4', clientId: 'k4', seq: 4 })],
        nextCursor: '4',
      });
      await retry;
      expect(sut.messages().map((entry) => entry.message.seq)).toEqual([4, 5]);
      expect(sut.hasOlder()).toBe(true);
    });
  });

  describe('attachments', () => {
    const uploadRequests = () => http.match((request) => request.url === '/api/attachments' && request.method === 'POST');

    async function pick(names: string[]): Promise<Upload[]> {
      const uploads = TestBed.inject(UploadsStore);
      const adding = uploads.add(names.map((name) => new File(['x'], name, { type: 'text/plain' })));
      (await next((url) => url === '/api/attachments/config')).flush({ maxUploadBytes: 1000, maxAttachmentsPerMessage: 10 });
      await adding;
      return uploads.take();
    }

    it('shows the message with its uploads at once and sends it with their ids, in order, once they are done', async () => {
      sut.setVisibility(() => false);
      await open([]);
      const uploads = await pick(['a.txt', 'b.txt']);
      const sending = sut.send('', uploads);
      expect(sut.messages()[0]).toMatchObject({ state: 'pending', uploads, message: { body: null, attachments: [] } });
      const [a, b] = uploadRequests();
      b.flush(attachmentDto('a2'));
      http.expectNone('/api/conversations/c1/messages');
      a.flush(attachmentDto('a1'));
      const send = await next((url) => url === '/api/conversations/c1/messages');
      expect(send.request.body).toEqual({ clientId: sut.messages()[0].message.clientId, body: null, expiresInSeconds: null, attachmentIds: ['a1', 'a2'] });
      send.flush(message({ id: 'm5', senderId: 'u1', clientId: send.request.body.clientId, body: null, attachments: [attachmentDto('a1'), attachmentDto('a2')], seq: 5 }));
      await sending;
      expect(sut.messages()[0].state).toBe('sent');
      expect(sut.messages()[0].uploads).toBeUndefined();
      expect(sut.messages()[0].message.attachments.map((attachment) => attachment.id)).toEqual(['a1', 'a2']);
    });

    it('marks the message not sent when an upload fails; retry uploads it again and sends with the same clientId', async () => {
      sut.setVisibility(() => false);
      await open([]);
      const uploads = await pick(['a.txt']);
      const sending = sut.send('Here', uploads);
      uploadRequests()[0].flush({ code: 'SERVER_BUSY' }, { status: 503, statusText: 'Service Unavailable' });
      await sending;
      expect(sut.messages()[0].state).toBe('failed');
      const clientId = sut.messages()[0].message.clientId;

      const retrying = sut.retry(clientId);
      let again: ReturnType<typeof uploadRequests> = [];
      await vi.waitFor(() => {
        again = uploadRequests();
        expect(again).toHaveLength(1);
      });
      again[0].flush(attachmentDto('a9'));
      const send = await next((url) => url === '/api/conversations/c1/messages');
      expect(send.request.body).toEqual({ clientId, body: 'Here', expiresInSeconds: null, attachmentIds: ['a9'] });
      send.flush(message({ id: 'm6', senderId: 'u1', clientId, body: 'Here', attachments: [attachmentDto('a9')], seq: 6 }));
      await retrying;
      expect(sut.messages()).toHaveLength(1);
      expect(sut.messages()[0].state).toBe('sent');
    });

    it('drops a message not sent, without text, once its failed upload is given up', async () => {
      sut.setVisibility(() => false);
      await open([]);
      const [upload] = await pick(['a.txt']);
      const sending = sut.send('', [upload]);
      uploadRequests()[0].flush(null, { status: 500, statusText: 'Server Error' });
      await sending;
      expect(sut.messages()[0].state).toBe('failed');
      sut.discardIfEmpty(sut.messages()[0].message.clientId);
      expect(sut.messages()).toHaveLength(1);

      upload.cancel();
      expect(upload.state()).toBe('cancelled');
      expect(await upload.result()).toBeNull();
      sut.discardIfEmpty(sut.messages()[0].message.clientId);
      expect(sut.messages()).toEqual([]);
    });

    it('drops a message without text whose every upload was cancelled', async () => {
      sut.setVisibility(() => false);
      await open([]);
      const [upload] = await pick(['a.txt']);
      const sending = sut.send('', [upload]);
      const [request] = uploadRequests();
      upload.cancel();
      expect(request.cancelled).toBe(true);
      await sending;
      expect(sut.messages()).toEqual([]);
      http.expectNone('/api/conversations/c1/messages');
    });
  });
});
