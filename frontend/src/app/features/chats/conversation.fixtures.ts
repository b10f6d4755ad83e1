import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { expect, vi } from 'vitest';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { AuthStore } from '../../core/auth-store';
import { Realtime } from '../../core/realtime';
import { FakeRealtime as SharedFakeRealtime } from '../../core/realtime.fixtures';
import { Toasts } from '../../shared/toasts';
import { Conversation } from './conversation';
import { OUTBOX_INDEXED_DB } from './outbox/outbox';

export class FakeRealtime extends SharedFakeRealtime {
  readonly typing = vi.fn();
}

/** Stands in for the browser's IntersectionObserver: `show(visible)` tells every observer. */
export class FakeIntersectionObserver {
  static readonly all: FakeIntersectionObserver[] = [];
  readonly elements: Element[] = [];
  constructor(
    private readonly callback: (entries: Partial<IntersectionObserverEntry>[]) => void,
    readonly options: IntersectionObserverInit,
  ) {
    FakeIntersectionObserver.all.push(this);
  }
  observe(element: Element): void {
    this.elements.push(element);
  }
  disconnect(): void {
    this.elements.length = 0;
  }
  static show(isIntersecting: boolean): void {
    for (const observer of FakeIntersectionObserver.all) {
      if (observer.elements.length) observer.callback(observer.elements.map((target) => ({ target, isIntersecting })));
    }
  }
}

/** The conversation page's test bed: user u1, a fake socket and observer, and the HTTP testing backend. */
export function setUpConversationPage(): { http: HttpTestingController; realtime: FakeRealtime } {
  FakeIntersectionObserver.all.length = 0;
  vi.stubGlobal('IntersectionObserver', FakeIntersectionObserver);
  const realtime = new FakeRealtime();
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      // In memory: an IndexedDB another spec installed globally would carry entries over (outbox-db.spec.ts tests the storage).
      { provide: OUTBOX_INDEXED_DB, useValue: null },
      provideRouter([]),
      { provide: Realtime, useValue: realtime },
      { provide: AuthStore, useValue: { user: signal({ id: 'u1' }) } },
      { provide: Toasts, useValue: { info: vi.fn(), error: vi.fn() } },
    ],
  });
  return { http: TestBed.inject(HttpTestingController), realtime };
}

/** The request to `url`, once the page has made it. */
export function nextRequest(http: HttpTestingController, url: string) {
  return vi.waitFor(() => http.expectOne((request) => request.urlWithParams === url));
}

/** Opens conversation c1 with Bob Builder showing `items`, answering its requests. */
export async function renderConversation(
  http: HttpTestingController,
  items: MessageDto[] = [],
  nextCursor: string | null = null,
  conversation: object = {},
  { whileLoading }: { whileLoading?: () => void } = {},
): Promise<{ element: HTMLElement; textarea: HTMLTextAreaElement; detect: () => void; fixture: ComponentFixture<Conversation> }> {
  const next = (url: string) => nextRequest(http, url);
  const fixture = TestBed.createComponent(Conversation);
  fixture.componentRef.setInput('id', 'c1');
  fixture.detectChanges();
  whileLoading?.();
  (await next('/api/conversations/c1')).flush({
    id: 'c1',
    peer: { id: 'u2', username: 'bob', displayName: 'Bob Builder' },
    defaultExpiresInSeconds: null,
    defaultExpiryMode: 'afterSend',
    peerLastReadSeq: 0,
    encrypted: false,
    muted: false,
    ...conversation,
  });
  (await next('/api/conversations/c1/messages?limit=50')).flush({ items, nextCursor });
  const element = fixture.nativeElement as HTMLElement;
  await vi.waitFor(() => {
    fixture.detectChanges();
    expect(element.textContent).toContain(items.length ? items[items.length - 1].body : 'No messages yet');
  });
  if (items.length) (await next('/api/conversations/c1/read')).flush(null);
  return { element, textarea: element.querySelector('textarea')!, detect: () => fixture.detectChanges(), fixture };
}

/** jsdom lays nothing out: each message is 40 px tall in a 200 px high history that scrolls. */
export function fakeLayout(element: HTMLElement): HTMLElement {
  const history = element.querySelector<HTMLElement>('.history')!;
  let scrollTop = 0;
  Object.defineProperties(history, {
    scrollHeight: { get: () => history.querySelectorAll('li[data-testid="message"]').length * 40 },
    clientHeight: { get: () => 200 },
    scrollTop: {
      get: () => scrollTop,
      set: (value: number) => (scrollTop = Math.max(0, Math.min(value, history.scrollHeight - 200))),
    },
  });
  return history;
}

export function type(textarea: HTMLTextAreaElement, value: string): void {
  textarea.value = value;
  textarea.dispatchEvent(new Event('input'));
}

export function press(textarea: HTMLTextAreaElement, init: KeyboardEventInit): KeyboardEvent {
  const event = new KeyboardEvent('keydown', { key: 'Enter', cancelable: true, ...init });
  textarea.dispatchEvent(event);
  return event;
}
