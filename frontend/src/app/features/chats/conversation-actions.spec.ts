import type { HttpTestingController } from '@angular/common/http/testing';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { nextRequest, press, renderConversation, setUpConversationPage, type } from './conversation.fixtures';
import { message } from './message.fixtures';
import { answerNotices } from './conversation-store.fixtures';

describe('Conversation message actions', () => {
  let http: HttpTestingController;
  const next = (url: string) => nextRequest(http, url);
  const render = (items: MessageDto[] = []) => renderConversation(http, items);
  const rows = (element: HTMLElement) => [...element.querySelectorAll<HTMLElement>('li[data-testid="message"]')];
  const overlay = () => document.querySelector('.cdk-overlay-container') ?? document.body;
  const overlayButton = (label: string) => [...overlay().querySelectorAll<HTMLElement>('button')].find((button) => button.textContent?.trim() === label);

  function openMenu(row: HTMLElement, detect: () => void): void {
    row.querySelector<HTMLButtonElement>('[data-testid="message-actions"]')!.click();
    detect();
  }

  beforeEach(() => {
    ({ http } = setUpConversationPage());
  });

  afterEach(() => {
    overlay().replaceChildren();
    vi.unstubAllGlobals();
    answerNotices(http);
    http.verify();
  });

  it('asks before deleting: Cancel keeps the message, Delete deletes it for both', async () => {
    const { element, detect } = await render([message({ id: 'm1', senderId: 'u1', body: 'Oops' })]);
    openMenu(rows(element)[0], detect);
    overlayButton('Delete')!.click();
    await vi.waitFor(() => expect(overlay().querySelector('[role="alertdialog"]')?.textContent).toContain('Delete this message?'));
    overlayButton('Cancel')!.click();
    await vi.waitFor(() => expect(overlay().querySelector('[role="alertdialog"]')).toBeNull());
    http.expectNone('/api/messages/m1');

    openMenu(rows(element)[0], detect);
    overlayButton('Delete')!.click();
    await vi.waitFor(() => expect(overlayButton('Delete')?.closest('[role="alertdialog"]')).toBeTruthy());
    overlayButton('Delete')!.click();
    (await next('/api/messages/m1')).flush(null);
    await vi.waitFor(() => {
      detect();
      expect(rows(element)[0].textContent).toContain('Message deleted');
    });
  });

  it('writes a reply from the menu: the quote above the composer, sent with relatesTo, then a plain message again', async () => {
    const { element, textarea, detect } = await render([message({ id: 'm1', body: 'Lunch?' })]);
    openMenu(rows(element)[0], detect);
    overlayButton('Reply')!.click();
    detect();
    expect(element.querySelector('[data-testid="reply-bar"]')?.textContent).toContain('Replying to Bob Builder');
    expect(element.querySelector('[data-testid="reply-bar"]')?.textContent).toContain('Lunch?');
    expect(document.activeElement).toBe(textarea);
    type(textarea, 'Yes!');
    press(textarea, {});
    const post = await next('/api/conversations/c1/messages');
    expect(post.request.body).toMatchObject({ body: 'Yes!', relatesTo: 'm1' });
    detect();
    expect(element.querySelector('[data-testid="reply-bar"]')).toBeNull();
    post.flush(message({ id: 'm2', seq: 2, senderId: 'u1', clientId: post.request.body.clientId, body: 'Yes!', relatesTo: 'm1' }));
    await vi.waitFor(() => {
      detect();
      expect(rows(element)[1].querySelector('[data-testid="reply-quote"]')?.textContent).toContain('Lunch?');
    });
  });

  it('gathers reactions under their message (never as a message of their own), with a day separator above', async () => {
    const { element, detect } = await render([
      message({ id: 'm1', body: 'Party!' }),
      message({ id: 'r1', clientId: 'kr1', seq: 2, kind: 'reaction', relatesTo: 'm1', body: '🎉' }),
      message({ id: 'r2', clientId: 'kr2', seq: 3, kind: 'reaction', relatesTo: 'm1', body: '🎉', senderId: 'u1' }),
      message({ id: 'm2', clientId: 'k2', seq: 4, body: 'See you' }),
    ]);
    detect();
    expect(rows(element).map((row) => row.querySelector('.body')?.textContent)).toEqual(['Party!', 'See you']);
    const chip = rows(element)[0].querySelector<HTMLButtonElement>('[data-testid="reaction"]')!;
    expect(chip.getAttribute('aria-label')).toBe('🎉 2: Bob Builder, You. Remove your reaction');
    expect(element.querySelectorAll('[data-testid="day-separator"]')).toHaveLength(1);

    chip.click();
    (await next('/api/messages/r2')).flush(null);
    await vi.waitFor(() => {
      detect();
      expect(rows(element)[0].querySelector('[data-testid="reaction"]')?.getAttribute('aria-label')).toBe('🎉 1: Bob Builder. React with 🎉');
    });
  });

  it('is one Tab stop for the whole history; the arrows move between messages', async () => {
    const { element, detect } = await render([message({ id: 'm1', body: 'One' }), message({ id: 'm2', clientId: 'k2', seq: 2, body: 'Two' })]);
    detect();
    expect(rows(element).map((row) => row.getAttribute('tabindex'))).toEqual(['-1', '0']);
    rows(element)[1].focus();
    rows(element)[1].dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true }));
    detect();
    expect(document.activeElement).toBe(rows(element)[0]);
    expect(rows(element).map((row) => row.getAttribute('tabindex'))).toEqual(['0', '-1']);
  });
});
