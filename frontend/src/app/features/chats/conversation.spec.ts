import type { HttpTestingController } from '@angular/common/http/testing';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { type FakeRealtime, nextRequest, press, renderConversation, setUpConversationPage, type } from './conversation.fixtures';
import { message } from './message.fixtures';
import { answerNotices } from './conversation-store.fixtures';

describe('Conversation', () => {
  let http: HttpTestingController;
  let realtime: FakeRealtime;

  const next = (url: string) => nextRequest(http, url);
  const render = (items: MessageDto[] = [], nextCursor: string | null = null, conversation: object = {}) =>
    renderConversation(http, items, nextCursor, conversation);

  beforeEach(() => {
    ({ http, realtime } = setUpConversationPage());
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    answerNotices(http);
    http.verify();
  });

  it('shows the peer and an empty state', async () => {
    const { element } = await render();
    expect(element.querySelector('h1')?.textContent).toContain('Bob Builder');
  });

  it('puts the focus in the composer once the conversation has opened', async () => {
    const { textarea, detect } = await render();
    await vi.waitFor(() => {
      detect();
      expect(document.activeElement).toBe(textarea);
    });
  });

  it('leaves the focus in another field the user moved to while the conversation loaded (the chat search)', async () => {
    const search = document.body.appendChild(document.createElement('input'));
    try {
      const { textarea, detect, fixture } = await renderConversation(http, [], null, {}, { whileLoading: () => search.focus() });
      detect();
      await fixture.whenStable();
      expect(document.activeElement).toBe(search);
      expect(document.activeElement).not.toBe(textarea);
    } finally {
      search.remove();
    }
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
    request.flush({ code: 'BLOCKED', message: 'blocked' }, { status: 403, statusText: 'Forbidden' });
    await vi.waitFor(() => {
      detect();
      expect(element.querySelector('[data-testid="not-sent"]')?.textContent).toContain('Not sent. This conversation is read-only because one of you blocked the other.');
    });
    (element.querySelector('button[aria-label="Discard unsent message: Hello"]') as HTMLButtonElement).click();
    await vi.waitFor(() => {
      detect();
      expect(element.querySelector('[data-testid="message"]')).toBeNull();
    });
  });

  it('puts a refused message back in the composer to edit and send again', async () => {
    const { element, textarea, detect } = await render();
    type(textarea, 'Hello');
    press(textarea, {});
    (await next('/api/conversations/c1/messages')).flush({ code: 'NOT_FRIENDS', message: 'no' }, { status: 403, statusText: 'Forbidden' });
    await vi.waitFor(() => {
      detect();
      expect(element.textContent).toContain('You are not friends with this person.');
    });
    (element.querySelector('button[aria-label="Edit and send again: Hello"]') as HTMLButtonElement).click();
    await vi.waitFor(() => {
      detect();
      expect(textarea.value).toBe('Hello');
      expect(element.querySelector('[data-testid="message"]')).toBeNull();
    });
  });

  it('keeps each conversation’s draft apart when another opens in the same pane, and ends an edit there', async () => {
    const { textarea, detect, fixture } = await render();
    const open = async (id: string) => {
      fixture.componentRef.setInput('id', id);
      detect();
      (await next(`/api/conversations/${id}`)).flush({
        id,
        peer: { id: `peer-${id}`, username: `p${id}`, displayName: `Peer ${id}` },
        defaultExpiresInSeconds: null,
        defaultExpiryMode: 'afterSend',
        peerLastReadSeq: 0,
        encrypted: false,
        muted: false,
      });
      (await next(`/api/conversations/${id}/messages?limit=50`)).flush({ items: [], nextCursor: null });
      detect();
    };
    type(textarea, 'Only for Bob');
    await open('c2');
    expect(textarea.value).toBe('');
    press(textarea, {});
    http.expectNone('/api/conversations/c2/messages');

    await open('c1');
    expect(textarea.value).toBe('Only for Bob');
  });

  it('counts the characters near the limit and will not send more than the server accepts', async () => {
    const { element, textarea, detect } = await render();
    type(textarea, 'x'.repeat(3599));
    detect();
    expect(element.querySelector('[data-testid="counter"]')).toBeNull();
    type(textarea, 'x'.repeat(3990));
    detect();
    expect(element.querySelector('[data-testid="counter"]')?.textContent).toContain('10 characters left');
    type(textarea, 'x'.repeat(4001));
    detect();
    expect(element.querySelector('[data-testid="counter"]')?.textContent).toContain('1 character too many');
    expect(textarea.getAttribute('aria-invalid')).toBe('true');
    press(textarea, {});
    http.expectNone('/api/conversations/c1/messages');
    expect(textarea.value).toHaveLength(4001);
  });

  it('sends typing at most every few seconds while typing', async () => {
    const { textarea } = await render();
    type(textarea, 'H');
    type(textarea, 'He');
    type(textarea, 'Hel');
    expect(realtime.typing).toHaveBeenCalledTimes(1);
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
});
