import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { Toasts } from '../../shared/toasts';
import { FakeIntersectionObserver, type FakeRealtime, fakeLayout, nextRequest, renderConversation, setUpConversationPage } from './conversation.fixtures';
import { answerNotices } from './conversation-store.fixtures';
import { message } from './message.fixtures';

describe('HistoryScroll, on the conversation page', () => {
  let http: HttpTestingController;
  let realtime: FakeRealtime;

  const next = (url: string) => nextRequest(http, url);
  const render = (items: MessageDto[] = [], nextCursor: string | null = null) => renderConversation(http, items, nextCursor);
  const page = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, index) => message({ id: `m${from + index}`, clientId: `k${from + index}`, seq: from + index, body: `Message ${from + index}` }));

  beforeEach(() => {
    ({ http, realtime } = setUpConversationPage());
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    answerNotices(http);
    http.verify();
  });

  describe('scrolling up', () => {
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
        expect(element.querySelectorAll('li[data-testid="message"]')).toHaveLength(20);
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
      await vi.waitFor(() => expect(element.querySelectorAll('li[data-testid="message"]')).toHaveLength(11));
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

  it('offers a jump to the latest message with the count of new ones while scrolled up', async () => {
    const { element, detect } = await render(page(1, 10));
    const history = fakeLayout(element);
    history.scrollTop = 0;
    history.dispatchEvent(new Event('scroll'));
    realtime.serve('message.created', message({ id: 'm11', clientId: 'k11', seq: 11, body: 'New' }));
    (await next('/api/conversations/c1/read')).flush(null);
    await vi.waitFor(() => {
      detect();
      expect(element.querySelector('[data-testid="jump-to-latest"]')?.textContent?.trim()).toBe('Jump to latest (1 new)');
    });
    element.querySelector<HTMLButtonElement>('[data-testid="jump-to-latest"]')!.click();
    detect();
    expect(history.scrollTop).toBe(11 * 40 - 200);
    expect(element.querySelector('[data-testid="jump-to-latest"]')).toBeNull();
  });

  describe("a reply's quote", () => {
    const quote = (element: HTMLElement, id: string) => element.querySelector<HTMLButtonElement>(`li[data-message-id="${id}"] [data-testid="reply-quote"]`)!;

    // jsdom has no CSS.escape; the ids here need no escaping.
    beforeEach(() => vi.stubGlobal('CSS', { escape: (value: string) => value }));

    it('shows the message it answers, loading older pages to find it, and highlights it', async () => {
      const { element, detect } = await render([message({ id: 'm11', clientId: 'k11', seq: 11, body: 'Yes', relatesTo: 'm5' })], '11');
      quote(element, 'm11').click();
      (await next('/api/conversations/c1/messages?before=11&limit=50')).flush({ items: page(1, 10), nextCursor: null });
      await vi.waitFor(() => {
        detect();
        expect(document.activeElement).toBe(element.querySelector('li[data-message-id="m5"]'));
      });
      detect();
      expect(element.querySelector('li[data-message-id="m5"] .bubble')?.classList).toContain('highlight');
    });

    it('says so when the message it answers is no longer in the conversation', async () => {
      const { element, detect } = await render([message({ id: 'm2', clientId: 'k2', seq: 2, body: 'Yes', relatesTo: 'gone' })]);
      quote(element, 'm2').click();
      const toasts = TestBed.inject(Toasts);
      await vi.waitFor(() => expect(toasts.info).toHaveBeenCalledWith('The original message is no longer in this conversation.'));
      detect();
      expect(element.querySelector('.bubble.highlight')).toBeNull();
    });
  });
});
