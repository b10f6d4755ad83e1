import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { type Provider, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { vi } from 'vitest';
import type { ConversationNoticeDto } from '../../../sdk/models/conversation-notice-dto';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { AuthStore } from '../../core/auth-store';
import { Realtime } from '../../core/realtime';
import { FakeRealtime } from '../../core/realtime.fixtures';
import { Toasts } from '../../shared/toasts';
import { UploadsStore } from './attachments/uploads-store';
import { ConversationStore } from './conversation-store';
import { OUTBOX_INDEXED_DB } from './outbox/outbox';

export interface ConversationStoreSetup {
  sut: ConversationStore;
  http: HttpTestingController;
  realtime: FakeRealtime;
  toasts: { info: ReturnType<typeof vi.fn>; error: ReturnType<typeof vi.fn> };
}

/** A store for conversation c1 of user u1, with a fake socket, fake toasts and the HTTP testing backend. */
export function setUpConversationStore(providers: Provider[] = []): ConversationStoreSetup {
  const realtime = new FakeRealtime();
  const toasts = { info: vi.fn(), error: vi.fn() };
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      // In memory: an IndexedDB another spec installed globally would carry entries over (outbox-db.spec.ts tests the storage).
      { provide: OUTBOX_INDEXED_DB, useValue: null },
      ConversationStore,
      UploadsStore,
      { provide: Realtime, useValue: realtime },
      { provide: AuthStore, useValue: { user: signal({ id: 'u1' }) } },
      { provide: Toasts, useValue: toasts },
      ...providers,
    ],
  });
  const sut = TestBed.inject(ConversationStore);
  sut.setVisibility(() => true);
  return { sut, http: TestBed.inject(HttpTestingController), realtime, toasts };
}

/** The request matching `match`, once the store has made it (microtasks only: fake timers stay where they are). */
export async function nextRequest(http: HttpTestingController, match: (url: string) => boolean) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const found = http.match((request) => match(request.urlWithParams));
    if (found.length > 1) throw new Error(`${found.length} requests matched`);
    if (found.length === 1) return found[0];
    await Promise.resolve();
  }
  throw new Error('No request matched');
}

/** Opens c1 with Bob as the peer, answering its two requests. */
export async function openConversation(
  { sut, http }: ConversationStoreSetup,
  messages: MessageDto[],
  nextCursor: string | null = null,
  conversation: object = {},
  notices: ConversationNoticeDto[] = [],
): Promise<void> {
  const done = sut.open('c1');
  (await nextRequest(http, (url) => url === '/api/conversations/c1')).flush({
    id: 'c1',
    peer: { id: 'u2', username: 'bob', displayName: 'Bob' },
    defaultExpiresInSeconds: null,
    defaultExpiryMode: 'afterSend',
    peerLastReadSeq: 0,
    encrypted: false,
    muted: false,
    ...conversation,
  });
  (await nextRequest(http, (url) => url === '/api/conversations/c1/messages?limit=50')).flush({ items: messages, nextCursor });
  await done;
  (await nextRequest(http, (url) => url === '/api/conversations/c1/notices?limit=100')).flush({ items: notices, nextCursor: null });
}

/**
 * Answers every notices request still open with an empty page: specs about something else need not
 * follow the refreshes a reconnect or a change makes (conversation-store-timers.spec.ts does).
 */
export function answerNotices(http: HttpTestingController): void {
  for (const request of http.match((candidate) => /^\/api\/conversations\/[^/]+\/notices/.test(candidate.url))) {
    if (!request.cancelled) request.flush({ items: [], nextCursor: null });
  }
}
