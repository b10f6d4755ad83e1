import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
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

  async function render(): Promise<HTMLElement> {
    const fixture = TestBed.createComponent(ChatListPage);
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
});
