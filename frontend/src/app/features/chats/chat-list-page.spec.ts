import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import { ChatListPage } from './chat-list-page';

function conversation(overrides: Partial<ConversationDto>): ConversationDto {
  return {
    id: 'c1',
    peer: { id: 'u2', username: 'bob', displayName: 'Bob Builder' },
    lastMessage: null,
    unreadCount: 0,
    lastActivityAt: '2026-01-01T10:00:00.000Z',
    defaultExpiresInSeconds: null,
    defaultExpiryMode: 'afterSend',
    ...overrides,
  } as ConversationDto;
}

describe('ChatListPage', () => {
  let http: HttpTestingController;

  async function render(activeId: string | null = null): Promise<HTMLElement> {
    const fixture = TestBed.createComponent(ChatListPage);
    fixture.componentRef.setInput('activeId', activeId);
    fixture.detectChanges();
    return fixture.nativeElement as HTMLElement;
  }

  async function settle(element: HTMLElement, text: string): Promise<void> {
    await vi.waitFor(() => expect(element.textContent).toContain(text));
  }

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('shows a loading state, then the empty state', async () => {
    const element = await render();
    await settle(element, 'Loading conversations');
    http.expectOne('/api/conversations?limit=50').flush({ items: [], nextCursor: null });
    await settle(element, 'No conversations yet');
  });

  it('lists conversations with name, preview, unread badge and default timer, and "Deleted user" for an erased peer', async () => {
    const element = await render();
    http.expectOne('/api/conversations?limit=50').flush({
      items: [
        conversation({
          unreadCount: 3,
          defaultExpiresInSeconds: 3600,
          defaultExpiryMode: 'afterRead',
          lastMessage: { id: 'm1', body: 'See you soon', attachments: [], deleted: false, senderId: 'u2', createdAt: '2026-01-01T10:00:00.000Z' } as never,
        }),
        conversation({ id: 'c2', peer: null, lastMessage: { id: 'm2', body: null, attachments: [], deleted: true, senderId: 'u9', createdAt: '2026-01-01T09:00:00.000Z' } as never }),
      ],
      nextCursor: null,
    });
    await settle(element, 'Bob Builder');

    const items = element.querySelectorAll('li');
    expect(items).toHaveLength(2);
    expect(items[0].textContent).toContain('See you soon');
    expect(items[0].querySelector('[data-testid="unread-badge"]')?.textContent?.trim()).toBe('3');
    expect(items[1].textContent).toContain('Deleted user');
    expect(items[1].textContent).toContain('Message deleted');
    expect(items[1].querySelector('[data-testid="unread-badge"]')).toBeNull();
    const timer = items[0].querySelector('[data-testid="list-timer"]');
    expect(timer?.textContent?.trim()).toBe('1 h');
    expect(timer?.getAttribute('aria-label')).toBe('Disappearing messages: 1 hour after reading');
    expect(items[1].querySelector('[data-testid="list-timer"]')).toBeNull();
  });

  it('says "Encrypted message" for an encrypted last message this device has not read, never its ciphertext', async () => {
    const element = await render();
    const ciphertext = { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgAEhAbCiphertextBytes', session_id: 'S1' };
    http.expectOne('/api/conversations?limit=50').flush({
      items: [
        conversation({
          encrypted: true,
          lastMessage: { id: 'm1', body: null, ciphertext, attachments: [], deleted: false, senderId: 'u2', createdAt: '2026-01-01T10:00:00.000Z' } as never,
        }),
      ],
      nextCursor: null,
    });
    await settle(element, 'Bob Builder');
    const item = element.querySelector('li')!;
    expect(item.textContent).toContain('Encrypted message');
    expect(item.textContent).not.toContain('AwgAEhAb');
  });

  it('shows an error with a way to try again', async () => {
    const element = await render();
    http.expectOne('/api/conversations?limit=50').flush({ code: 'INTERNAL_ERROR', message: 'x' }, { status: 500, statusText: 'Server Error' });
    await settle(element, 'Could not load your conversations');

    (element.querySelector('.error button') as HTMLButtonElement).click();
    http.expectOne('/api/conversations?limit=50').flush({ items: [], nextCursor: null });
    await settle(element, 'No conversations yet');
  });

  describe('search and keyboard', () => {
    const three = [
      conversation({ id: 'c1', peer: { id: 'u2', username: 'bob', displayName: 'Bob Builder' } as never }),
      conversation({ id: 'c2', peer: { id: 'u3', username: 'carol', displayName: 'Carol Singer' } as never }),
      conversation({ id: 'c3', peer: { id: 'u4', username: 'dave', displayName: 'Dave Diver' } as never }),
    ];
    const press = (init: KeyboardEventInit) => document.dispatchEvent(new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init }));

    it('filters the chats by name or username as the user types, and says when none matches', async () => {
      const element = await render();
      http.expectOne('/api/conversations?limit=50').flush({ items: three, nextCursor: null });
      await settle(element, 'Carol Singer');
      const search = element.querySelector<HTMLInputElement>('input[type="search"]')!;
      expect(search.getAttribute('aria-label')).toBe('Search chats');

      search.value = 'DAV';
      search.dispatchEvent(new Event('input'));
      await vi.waitFor(() => expect(element.querySelectorAll('li')).toHaveLength(1));
      expect(element.querySelector('li')!.textContent).toContain('Dave Diver');

      search.value = 'zed';
      search.dispatchEvent(new Event('input'));
      await settle(element, 'No chat matches “zed”.');
      expect(element.querySelectorAll('li')).toHaveLength(0);
    });

    it('marks the open chat, opens the next and the previous with Alt+Down and Alt+Up, and focuses the search on Ctrl+K', async () => {
      const element = await render('c2');
      const navigate = vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
      http.expectOne('/api/conversations?limit=50').flush({ items: three, nextCursor: null });
      await settle(element, 'Carol Singer');
      const links = element.querySelectorAll('a');
      expect([...links].map((link) => link.getAttribute('aria-current'))).toEqual([null, 'page', null]);

      press({ key: 'ArrowDown', altKey: true });
      expect(navigate).toHaveBeenLastCalledWith(['/chats', 'c3']);
      press({ key: 'ArrowUp', altKey: true });
      expect(navigate).toHaveBeenLastCalledWith(['/chats', 'c1']);

      press({ key: 'k', ctrlKey: true });
      expect(document.activeElement).toBe(element.querySelector('input[type="search"]'));
    });
  });
});
