import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthStore } from '../../core/auth-store';
import { Realtime } from '../../core/realtime';
import { FakeRealtime } from '../../core/realtime.fixtures';
import { Conversation } from './conversation';
import { message } from './message.fixtures';
import { OUTBOX_INDEXED_DB } from './outbox/outbox';
import { answerNotices } from './conversation-store.fixtures';

describe('Conversation with a peer who deleted their account', () => {
  let http: HttpTestingController;

  const next = (url: string) => vi.waitFor(() => http.expectOne((request) => request.urlWithParams === url));

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        // In memory: an IndexedDB another spec installed globally would carry entries over (outbox-db.spec.ts tests the storage).
        { provide: OUTBOX_INDEXED_DB, useValue: null },
        provideRouter([]),
        { provide: Realtime, useValue: Object.assign(new FakeRealtime(), { typing: vi.fn() }) },
        { provide: AuthStore, useValue: { user: signal({ id: 'u1' }) } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    answerNotices(http);
    http.verify();
  });

  it('does not invite to say hello when nobody can receive messages', async () => {
    const fixture = TestBed.createComponent(Conversation);
    fixture.componentRef.setInput('id', 'c1');
    fixture.detectChanges();
    (await next('/api/conversations/c1')).flush({ id: 'c1', peer: null });
    (await next('/api/conversations/c1/messages?limit=50')).flush({ items: [], nextCursor: null });
    const element = fixture.nativeElement as HTMLElement;
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(element.querySelector('[data-testid="empty-history"]')?.textContent).toBe('No messages.');
    });
    expect(element.textContent).not.toContain('Say hello');
    expect(element.querySelector('[data-testid="peer-deleted"]')).not.toBeNull();
  });

  it('shows "Deleted user", keeps the history readable and disables the composer with a reason', async () => {
    const fixture = TestBed.createComponent(Conversation);
    fixture.componentRef.setInput('id', 'c1');
    fixture.detectChanges();
    (await next('/api/conversations/c1')).flush({ id: 'c1', peer: null });
    (await next('/api/conversations/c1/messages?limit=50')).flush({
      items: [message({ senderId: 'u1', body: 'Are you still there?' })],
      nextCursor: null,
    });
    const element = fixture.nativeElement as HTMLElement;
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(element.textContent).toContain('Are you still there?');
    });

    // Opening it moves the read marker as usual.
    for (const request of http.match((candidate) => candidate.url === '/api/conversations/c1/read')) request.flush(null);

    expect(element.querySelector('h1')?.textContent?.trim()).toBe('Deleted user');
    expect(element.querySelector('[data-testid="peer-deleted"]')?.textContent).toContain('This account was deleted');
    const textarea = element.querySelector('textarea')!;
    expect(textarea.disabled).toBe(true);
    const send = element.querySelector<HTMLButtonElement>('.composer button[type="submit"]')!;
    expect(send.disabled).toBe(true);

    // Even a submit that gets through (Enter on a stale draft) sends nothing.
    element.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }));
    http.expectNone((request) => request.method === 'POST' && request.url.endsWith('/messages'));
  });
});
