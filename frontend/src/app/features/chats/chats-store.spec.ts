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
});
