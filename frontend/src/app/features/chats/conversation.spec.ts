import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthStore } from '../../core/auth-store';
import { Realtime } from '../../core/realtime';
import { FakeRealtime as SharedFakeRealtime } from '../../core/realtime.fixtures';
import { Conversation } from './conversation';

class FakeRealtime extends SharedFakeRealtime {
  readonly typing = vi.fn();
}

describe('Conversation', () => {
  let http: HttpTestingController;
  let realtime: FakeRealtime;

  const next = (url: string) => vi.waitFor(() => http.expectOne((request) => request.urlWithParams === url));

  async function render(): Promise<{ element: HTMLElement; textarea: HTMLTextAreaElement; detect: () => void }> {
    const fixture = TestBed.createComponent(Conversation);
    fixture.componentRef.setInput('id', 'c1');
    fixture.detectChanges();
    (await next('/api/conversations/c1')).flush({ id: 'c1', peer: { id: 'u2', username: 'bob', displayName: 'Bob Builder' } });
    (await next('/api/conversations/c1/messages?limit=50')).flush({ items: [], nextCursor: null });
    const element = fixture.nativeElement as HTMLElement;
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(element.textContent).toContain('No messages yet');
    });
    return { element, textarea: element.querySelector('textarea')!, detect: () => fixture.detectChanges() };
  }

  function type(textarea: HTMLTextAreaElement, value: string): void {
    textarea.value = value;
    textarea.dispatchEvent(new Event('input'));
  }

  function press(textarea: HTMLTextAreaElement, init: KeyboardEventInit): KeyboardEvent {
    const event = new KeyboardEvent('keydown', { key: 'Enter', cancelable: true, ...init });
    textarea.dispatchEvent(event);
    return event;
  }

  beforeEach(() => {
    realtime = new FakeRealtime();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([]),
        { provide: Realtime, useValue: realtime },
        { provide: AuthStore, useValue: { user: signal({ id: 'u1' }) } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('shows the peer and an empty state', async () => {
    const { element } = await render();
    expect(element.querySelector('h1')?.textContent).toContain('Bob Builder');
  });

  it('Shift+Enter keeps writing; Enter sends, shows the message as pending and clears the composer', async () => {
    const { element, textarea, detect } = await render();
    type(textarea, 'Hello');
    expect(realtime.typing).toHaveBeenCalledWith('c1');
    expect(press(textarea, { shiftKey: true }).defaultPrevented).toBe(false);
    http.expectNone('/api/conversations/c1/messages');

    expect(press(textarea, {}).defaultPrevented).toBe(true);
    const request = await next('/api/conversations/c1/messages');
    expect(request.request.method).toBe('POST');
    expect(request.request.body.body).toBe('Hello');
    detect();
    expect(element.textContent).toContain('Sending…');
    expect(textarea.value).toBe('');
    request.flush(null, { status: 0, statusText: 'Network error' });
    await vi.waitFor(() => {
      detect();
      expect(element.textContent).toContain('Not sent.');
    });
  });

  it('sends typing at most every few seconds while typing', async () => {
    const { textarea } = await render();
    type(textarea, 'H');
    type(textarea, 'He');
    type(textarea, 'Hel');
    expect(realtime.typing).toHaveBeenCalledTimes(1);
  });
});
