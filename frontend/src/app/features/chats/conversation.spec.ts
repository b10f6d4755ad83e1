import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthStore } from '../../core/auth-store';
import { Realtime } from '../../core/realtime';
import { FakeRealtime as SharedFakeRealtime } from '../../core/realtime.fixtures';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { Toasts } from '../../shared/toasts';
import { Conversation } from './conversation';
import { message } from './message.fixtures';

class FakeRealtime extends SharedFakeRealtime {
  readonly typing = vi.fn();
}

/** Stands in for the browser's IntersectionObserver: `show(visible)` tells every observer. */
class FakeIntersectionObserver {
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

describe('Conversation', () => {
  let http: HttpTestingController;
  let realtime: FakeRealtime;

  const next = (url: string) => vi.waitFor(() => http.expectOne((request) => request.urlWithParams === url));

  async function render(
    items: MessageDto[] = [],
    nextCursor: string | null = null,
    conversation: object = {},
  ): Promise<{ element: HTMLElement; textarea: HTMLTextAreaElement; detect: () => void }> {
    const fixture = TestBed.createComponent(Conversation);
    fixture.componentRef.setInput('id', 'c1');
    fixture.detectChanges();
    (await next('/api/conversations/c1')).flush({
      id: 'c1',
      peer: { id: 'u2', username: 'bob', displayName: 'Bob Builder' },
      defaultExpiresInSeconds: null,
      defaultExpiryMode: 'afterSend',
      peerLastReadSeq: 0,
      ...conversation,
    });
    (await next('/api/conversations/c1/messages?limit=50')).flush({ items, nextCursor });
    const element = fixture.nativeElement as HTMLElement;
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(element.textContent).toContain(items.length ? items[items.length - 1].body : 'No messages yet');
    });
    if (items.length) (await next('/api/conversations/c1/read')).flush(null);
    return { element, textarea: element.querySelector('textarea')!, detect: () => fixture.detectChanges() };
  }

  /** jsdom lays nothing out: each message is 40 px tall in a 200 px high history that scrolls. */
  function fakeLayout(element: HTMLElement): HTMLElement {
    const history = element.querySelector<HTMLElement>('.history')!;
    let scrollTop = 0;
    Object.defineProperties(history, {
      scrollHeight: { get: () => history.querySelectorAll('li').length * 40 },
      clientHeight: { get: () => 200 },
      scrollTop: {
        get: () => scrollTop,
        set: (value: number) => (scrollTop = Math.max(0, Math.min(value, history.scrollHeight - 200))),
      },
    });
    return history;
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
    FakeIntersectionObserver.all.length = 0;
    vi.stubGlobal('IntersectionObserver', FakeIntersectionObserver);
    realtime = new FakeRealtime();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([]),
        { provide: Realtime, useValue: realtime },
        { provide: AuthStore, useValue: { user: signal({ id: 'u1' }) } },
        { provide: Toasts, useValue: { info: vi.fn(), error: vi.fn() } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    http.verify();
  });

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

  describe('scrolling up', () => {
    const page = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, index) => message({ id: `m${from + index}`, clientId: `k${from + index}`, seq: from + index, body: `Message ${from + index}` }));

    it('loads older pages when the top comes into view, keeping the messages on screen in place, until the beginning', async () => {
      const { element, detect } = await render(page(11, 20), '11');
      const history = fakeLayout(element);
      history.scrollTop = 0;
      history.dispatchEvent(new Event('scroll'));
      await vi.waitFor(() => expect(FakeIntersectionObserver.all.some((observer) => observer.elements.length > 0)).toBe(true));
      expect(FakeIntersectionObserver.all[0].options.root).toBe(history);

      FakeIntersectionObserver.show(true);
      detect();
      expect(element.querySelector('[aria-label="Loading older messages"]')).not.toBeNull();
      (await next('/api/conversations/c1/messages?before=11&limit=50')).flush({ items: page(1, 10), nextCursor: null });
      await vi.waitFor(() => {
        detect();
        expect(element.querySelectorAll('li')).toHaveLength(20);
      });
      // Ten messages of 40 px were added above: "Message 11" is still where it was.
      expect(history.scrollTop).toBe(400);
      expect(element.querySelector('[data-testid="history-start"]')?.textContent).toContain('beginning of your conversation');
      expect(element.querySelector('[aria-label="Loading older messages"]')).toBeNull();

      FakeIntersectionObserver.show(true);
      http.expectNone((request) => request.urlWithParams.includes('before='));
    });

    it('stays where the user reads when a message arrives, and follows it at the bottom', async () => {
      const { element, detect } = await render(page(1, 10));
      const history = fakeLayout(element);
      history.scrollTop = 0;
      history.dispatchEvent(new Event('scroll'));
      realtime.serve('message.created', message({ id: 'm11', clientId: 'k11', seq: 11, body: 'New' }));
      detect();
      (await next('/api/conversations/c1/read')).flush(null);
      await vi.waitFor(() => expect(element.querySelectorAll('li')).toHaveLength(11));
      expect(history.scrollTop).toBe(0);

      history.scrollTop = history.scrollHeight;
      history.dispatchEvent(new Event('scroll'));
      realtime.serve('message.created', message({ id: 'm12', clientId: 'k12', seq: 12, body: 'Newer' }));
      detect();
      (await next('/api/conversations/c1/read')).flush(null);
      await vi.waitFor(() => {
        detect();
        expect(history.scrollTop).toBe(12 * 40 - 200);
      });
    });
  });

  describe('timers', () => {
    it('shows the chat default in the header and changes it from the picker', async () => {
      const { element, detect } = await render([], null, { defaultExpiresInSeconds: 3600, defaultExpiryMode: 'afterSend' });
      const chip = element.querySelector<HTMLButtonElement>('[data-testid="default-timer"]')!;
      expect(chip.textContent?.replace(/\s+/g, ' ').trim()).toBe('Disappearing messages: 1 h');
      expect(chip.getAttribute('title')).toBe('Disappearing messages: 1 hour after sending');
      chip.click();
      detect();
      const picker = element.querySelector('app-timer-picker')!;
      expect(chip.getAttribute('aria-expanded')).toBe('true');
      const radio = (label: string) => [...picker.querySelectorAll('label')].find((item) => item.textContent?.trim() === label)!.querySelector('input')!;
      expect(radio('This chat').checked).toBe(true);
      radio('5 min').click();
      const patch = await next('/api/conversations/c1');
      expect(patch.request.body).toEqual({ defaultExpiresInSeconds: 300, defaultExpiryMode: 'afterSend' });
      patch.flush({ id: 'c1', peer: { id: 'u2', username: 'bob', displayName: 'Bob Builder' }, defaultExpiresInSeconds: 300, defaultExpiryMode: 'afterSend', peerLastReadSeq: 0 });
      await vi.waitFor(() => {
        detect();
        expect(chip.textContent?.replace(/\s+/g, ' ').trim()).toBe('Disappearing messages: 5 min');
      });
    });

    it('sets a timer for the next message only, shows it in the composer and sends with it', async () => {
      const { element, textarea, detect } = await render();
      element.querySelector<HTMLButtonElement>('[data-testid="timer-button"]')!.click();
      detect();
      const picker = element.querySelector('app-timer-picker')!;
      const radio = (label: string) => [...picker.querySelectorAll('label')].find((item) => item.textContent?.trim() === label)!.querySelector('input')!;
      expect(radio('Next message').checked).toBe(true);
      radio('30 s').click();
      detect();
      expect(element.querySelector('[data-testid="next-timer"]')?.textContent).toContain('Next message: 30 seconds after sending');
      textarea.value = 'Gone soon';
      textarea.dispatchEvent(new Event('input'));
      textarea.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', cancelable: true }));
      const send = await next('/api/conversations/c1/messages');
      expect(send.request.body).toMatchObject({ body: 'Gone soon', expiresInSeconds: 30, expiryMode: 'afterSend' });
      send.flush(message({ id: 'm1', clientId: send.request.body.clientId, senderId: 'u1', body: 'Gone soon', expiresInSeconds: 30, expiryMode: 'afterSend', expiresAt: new Date(Date.now() + 30_000).toISOString() }));
      await vi.waitFor(() => {
        detect();
        expect(element.querySelector('[data-testid="countdown"]')?.textContent).toMatch(/\d+ s/);
      });
      expect(element.querySelector('[data-testid="next-timer"]')).toBeNull();
      expect(element.querySelector('app-timer-picker')).toBeNull();
    });

    it('shows "Seen" after a reload from the peer\'s read marker', async () => {
      const { element } = await render([message({ id: 'm1', senderId: 'u1', seq: 1, body: 'Read it?' })], null, { peerLastReadSeq: 1 });
      expect(element.querySelector('[data-testid="seen"]')?.textContent).toBe('Seen');
    });
  });

  describe('attachments', () => {
    const originalCreate = URL.createObjectURL;
    const originalRevoke = URL.revokeObjectURL;
    const uploadRequests = () => http.match((request) => request.url === '/api/attachments' && request.method === 'POST');

    beforeEach(() => {
      URL.createObjectURL = vi.fn(() => 'blob:test/1');
      URL.revokeObjectURL = vi.fn();
    });

    afterEach(() => {
      URL.createObjectURL = originalCreate;
      URL.revokeObjectURL = originalRevoke;
    });

    function pick(element: HTMLElement, files: File[]): void {
      const input = element.querySelector<HTMLInputElement>('input[type="file"]')!;
      Object.defineProperty(input, 'files', { value: files, configurable: true });
      input.dispatchEvent(new Event('change'));
    }

    function dragEvent(type: string, files: File[] = []): Event {
      const event = new Event(type, { bubbles: true, cancelable: true });
      Object.defineProperty(event, 'dataTransfer', { value: { types: ['Files'], files, dropEffect: 'none' } });
      return event;
    }

    it('picks files with the paperclip, shows them uploading, and sends a message of attachments only', async () => {
      const { element, detect } = await render();
      const send = () => element.querySelector<HTMLButtonElement>('button[type="submit"]')!;
      expect(send().disabled).toBe(true);
      const attach = element.querySelector<HTMLButtonElement>('button[aria-label="Attach files"]')!;
      expect(attach.disabled).toBe(false);

      pick(element, [new File(['12345'], 'plan.txt', { type: 'text/plain' })]);
      (await next('/api/attachments/config')).flush({ maxUploadBytes: 1000, maxAttachmentsPerMessage: 10 });
      await vi.waitFor(() => {
        detect();
        expect(element.querySelector('[aria-label="Attachments to send"]')?.textContent).toContain('plan.txt');
      });
      expect(element.querySelector('mat-progress-bar')?.getAttribute('aria-label')).toBe('Uploading plan.txt');
      expect(send().disabled).toBe(false);

      send().click();
      detect();
      expect(element.querySelector('[aria-label="Attachments to send"]')).toBeNull();
      const pending = element.querySelector('[data-testid="message"]')!;
      expect(pending.textContent).toContain('plan.txt');
      expect(pending.textContent).toContain('Sending…');
      expect(pending.querySelector('[aria-label="Cancel sending plan.txt"]')).not.toBeNull();

      const [upload] = uploadRequests();
      upload.flush({ id: 'a1', kind: 'file', mimeType: 'text/plain', size: 5, name: 'plan.txt', url: '/api/attachments/a1', createdAt: '2026-01-01T00:00:00.000Z' });
      const sent = await next('/api/conversations/c1/messages');
      expect(sent.request.body).toMatchObject({ body: null, attachmentIds: ['a1'] });
      sent.flush({
        id: 'm1', conversationId: 'c1', senderId: 'u1', clientId: sent.request.body.clientId, body: null, seq: 1, createdAt: '2026-01-01T10:00:00.000Z',
        deleted: false, editedAt: null, expiresAt: null, expiresInSeconds: null, expiryMode: null,
        attachments: [{ id: 'a1', kind: 'file', mimeType: 'text/plain', size: 5, name: 'plan.txt', url: '/api/attachments/a1', createdAt: '2026-01-01T00:00:00.000Z' }],
      });
      await vi.waitFor(() => {
        detect();
        expect(element.querySelector('[data-testid="file-chip"]')?.textContent).toContain('5 bytes');
      });
      expect(element.textContent).not.toContain('Sending…');
    });

    it('shows a drop zone while files are dragged over, and takes the dropped files', async () => {
      const { element, detect } = await render();
      const host = element;
      host.dispatchEvent(dragEvent('dragenter'));
      detect();
      expect(element.querySelector('[data-testid="drop-zone"]')?.textContent).toContain('Drop files to send them to Bob Builder');
      const over = dragEvent('dragover');
      host.dispatchEvent(over);
      expect(over.defaultPrevented).toBe(true);
      host.dispatchEvent(dragEvent('dragleave'));
      detect();
      expect(element.querySelector('[data-testid="drop-zone"]')).toBeNull();

      host.dispatchEvent(dragEvent('dragenter'));
      const drop = dragEvent('drop', [new File(['x'], 'dropped.txt')]);
      host.dispatchEvent(drop);
      expect(drop.defaultPrevented).toBe(true);
      (await next('/api/attachments/config')).flush({ maxUploadBytes: 1000, maxAttachmentsPerMessage: 10 });
      await vi.waitFor(() => {
        detect();
        expect(element.querySelector('[aria-label="Attachments to send"]')?.textContent).toContain('dropped.txt');
      });
      expect(element.querySelector('[data-testid="drop-zone"]')).toBeNull();
      const [upload] = uploadRequests();
      element.querySelector<HTMLButtonElement>('[aria-label="Cancel upload of dropped.txt"]')!.click();
      detect();
      expect(upload.cancelled).toBe(true);
      expect(element.querySelector('[aria-label="Attachments to send"]')).toBeNull();
    });

    it('keeps files dropped beside the conversation from opening in the browser', async () => {
      const { element } = await render();
      const outside = document.createElement('div');
      document.body.append(outside);
      const drop = dragEvent('drop', [new File(['x'], 'lost.txt')]);
      outside.dispatchEvent(drop);
      expect(drop.defaultPrevented).toBe(true);
      expect(element.querySelector('[aria-label="Attachments to send"]')).toBeNull();
      http.expectNone('/api/attachments/config');
      outside.remove();
    });

    it('refuses a file over the limit in words, without uploading it', async () => {
      const { element, detect } = await render();
      pick(element, [new File([new Uint8Array(2000)], 'huge.mov')]);
      (await next('/api/attachments/config')).flush({ maxUploadBytes: 1000, maxAttachmentsPerMessage: 10 });
      await vi.waitFor(() => {
        detect();
        expect(element.querySelector('[role="alert"]')?.textContent).toContain('“huge.mov” is too large (2 KB): files may be at most 1000 bytes.');
      });
      expect(uploadRequests()).toHaveLength(0);
    });

    it('attaches pasted images', async () => {
      const { element, textarea, detect } = await render();
      const paste = new Event('paste', { bubbles: true, cancelable: true });
      Object.defineProperty(paste, 'clipboardData', { value: { files: [new File(['x'], 'image.png', { type: 'image/png' })] } });
      textarea.dispatchEvent(paste);
      expect(paste.defaultPrevented).toBe(true);
      (await next('/api/attachments/config')).flush({ maxUploadBytes: 1000, maxAttachmentsPerMessage: 10 });
      await vi.waitFor(() => {
        detect();
        expect(element.querySelector('[aria-label="Attachments to send"]')?.textContent).toContain('image.png');
      });
      uploadRequests()[0].flush({ id: 'a1', kind: 'image', mimeType: 'image/png', size: 1, name: 'image.png', url: '/api/attachments/a1', createdAt: '2026-01-01T00:00:00.000Z' });
    });
  });
});
