import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { AuthStore } from '../../core/auth-store';
import { Realtime } from '../../core/realtime';
import { FakeRealtime } from '../../core/realtime.fixtures';
import { message } from './message.fixtures';
import { ChatsStore } from './chats-store';
import { MessageDecryptor } from './message-decryptor';

function conversation(id: string, last: MessageDto | null, unreadCount = 0): ConversationDto {
  return {
    id, peer: { id: 'u2', username: 'bob', displayName: 'Bob' }, lastMessage: last, unreadCount,
    lastActivityAt: '2026-01-01T10:00:00.000Z', defaultExpiresInSeconds: null, defaultExpiryMode: 'afterSend',
  } as ConversationDto;
}

describe('ChatsStore live updates', () => {
  let sut: ChatsStore;
  let http: HttpTestingController;
  let realtime: FakeRealtime;

  async function load(items: ConversationDto[]): Promise<void> {
    const done = sut.load();
    http.expectOne('/api/conversations?limit=50').flush({ items, nextCursor: null });
    await done;
  }

  beforeEach(() => {
    realtime = new FakeRealtime();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        ChatsStore,
        { provide: Realtime, useValue: realtime },
        { provide: AuthStore, useValue: { user: signal({ id: 'u1' }) } },
      ],
    });
    sut = TestBed.inject(ChatsStore);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('moves a conversation to the top on a new message and counts the peer\'s as unread', async () => {
    await load([conversation('c1', message({ conversationId: 'c1' })), conversation('c2', message({ id: 'x1', conversationId: 'c2' }))]);
    realtime.serve('message.created', message({ id: 'x2', clientId: 'k2', conversationId: 'c2', seq: 2, body: 'New' }));
    expect(sut.conversations().map((item) => item.id)).toEqual(['c2', 'c1']);
    expect(sut.conversations()[0]).toMatchObject({ unreadCount: 1, lastMessage: { body: 'New' } });
    realtime.serve('message.created', message({ id: 'x3', clientId: 'k3', conversationId: 'c2', seq: 3, senderId: 'u1' }));
    expect(sut.conversations()[0].unreadCount).toBe(1);
  });

  it('updates the preview on edit and delete of the last message', async () => {
    await load([conversation('c1', message({ senderId: 'u1' }))]);
    realtime.serve('message.updated', message({ senderId: 'u1', body: 'Edited', editedAt: '2026-01-01T10:01:00.000Z' }));
    expect(sut.conversations()[0].lastMessage?.body).toBe('Edited');
    realtime.serve('message.deleted', message({ senderId: 'u1', body: null, deleted: true }));
    expect(sut.conversations()[0].lastMessage?.deleted).toBe(true);
  });

  it('clears the badge when I read up to the last message', async () => {
    await load([conversation('c1', message({ seq: 4 }), 3)]);
    realtime.serve('conversation.read', { conversationId: 'c1', userId: 'u2', messageId: 'm1', seq: 4, readAt: '' });
    expect(sut.conversations()[0].unreadCount).toBe(3);
    realtime.serve('conversation.read', { conversationId: 'c1', userId: 'u1', messageId: 'm1', seq: 4, readAt: '' });
    expect(sut.conversations()[0].unreadCount).toBe(0);
  });

  it('reads the list again after a reconnect, and for a conversation it does not know', async () => {
    await load([]);
    realtime.ready$.next({});
    http.expectOne('/api/conversations?limit=50').flush({ items: [], nextCursor: null });
    realtime.serve('message.created', message({ conversationId: 'c9' }));
    http.expectOne('/api/conversations?limit=50').flush({ items: [conversation('c9', message({ conversationId: 'c9' }), 1)], nextCursor: null });
    await vi.waitFor(() => expect(sut.conversations().map((item) => item.id)).toEqual(['c9']));
  });

  describe('disappearing messages', () => {
    beforeEach(() => vi.useFakeTimers({ now: new Date('2026-01-01T10:00:00.000Z'), toFake: ['Date', 'setTimeout', 'clearTimeout'] }));
    afterEach(() => vi.useRealTimers());

    it('reads the list again when a last message expires, for the one before it and the unread count', async () => {
      const timed = message({ id: 'm2', seq: 2, expiresInSeconds: 30, expiryMode: 'afterSend', expiresAt: '2026-01-01T10:00:30.000Z' });
      await load([conversation('c1', timed, 2)]);
      vi.advanceTimersByTime(29_999);
      http.expectNone('/api/conversations?limit=50');
      vi.advanceTimersByTime(1);
      http.expectOne('/api/conversations?limit=50').flush({ items: [conversation('c1', message({ id: 'm1', seq: 1 }), 1)], nextCursor: null });
      await vi.waitFor(() => expect(sut.conversations()[0]).toMatchObject({ lastMessage: { id: 'm1' }, unreadCount: 1 }));
    });

    it('asks again at most once a second while the server still serves it (a clock ahead of the server\'s)', async () => {
      const timed = message({ id: 'm2', seq: 2, expiresInSeconds: 30, expiryMode: 'afterSend', expiresAt: '2026-01-01T10:00:30.000Z' });
      await load([conversation('c1', timed, 1)]);
      vi.advanceTimersByTime(30_000);
      http.expectOne('/api/conversations?limit=50').flush({ items: [conversation('c1', timed, 1)], nextCursor: null });
      await Promise.resolve();
      await Promise.resolve();
      http.expectNone('/api/conversations?limit=50');
      vi.advanceTimersByTime(1000);
      http.expectOne('/api/conversations?limit=50').flush({ items: [conversation('c1', null, 0)], nextCursor: null });
    });

    it('starts the clock of an afterRead last message when it is read', async () => {
      const waiting = message({ id: 'm2', seq: 2, senderId: 'u1', expiresInSeconds: 60, expiryMode: 'afterRead', expiresAt: null });
      await load([conversation('c1', waiting)]);
      realtime.serve('conversation.read', { conversationId: 'c1', userId: 'u2', messageId: 'm2', seq: 2, readAt: '2026-01-01T10:00:00.000Z' });
      expect(sut.conversations()[0].lastMessage?.expiresAt).toBe('2026-01-01T10:01:00.000Z');
      expect(sut.conversations()[0].peerLastReadSeq).toBe(2);
      vi.advanceTimersByTime(60_000);
      http.expectOne('/api/conversations?limit=50').flush({ items: [conversation('c1', null)], nextCursor: null });
    });

    it('reads the list again when the sweep reports expired messages, and follows default timer changes', async () => {
      await load([conversation('c1', message({}), 1)]);
      const forget = vi.spyOn(TestBed.inject(MessageDecryptor), 'forget');
      realtime.serve('message.expired', { conversationId: 'c1', messageIds: ['m0'] });
      // What was decrypted of it goes from memory with it.
      expect(forget).toHaveBeenCalledWith(['m0']);
      http.expectOne('/api/conversations?limit=50').flush({ items: [conversation('c1', message({}), 0)], nextCursor: null });
      await vi.waitFor(() => expect(sut.conversations()[0].unreadCount).toBe(0));
      realtime.serve('conversation.updated', { conversationId: 'c1', userId: 'u2', defaultExpiresInSeconds: 3600, defaultExpiryMode: 'afterRead' });
      expect(sut.conversations()[0]).toMatchObject({ defaultExpiresInSeconds: 3600, defaultExpiryMode: 'afterRead' });
    });
  });
});
