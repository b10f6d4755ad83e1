import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting, type TestRequest } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import type { FriendDto } from '../../../sdk/models/friend-dto';
import { AuthStore } from '../../core/auth-store';
import { Realtime } from '../../core/realtime';
import { FakeRealtime } from '../../core/realtime.fixtures';
import { Toasts } from '../../shared/toasts';
import { FriendsPage } from './friends-page';

const bob: FriendDto = { id: 'u2', username: 'bob', displayName: 'Bob Builder', avatarVersion: null, statusMessage: 'On holiday', friendsSince: '2026-01-01T10:00:00.000Z' };

describe('FriendsPage', () => {
  let fixture: ComponentFixture<FriendsPage>;
  let http: HttpTestingController;
  let realtime: FakeRealtime;

  const next = (method: string, url: string, direction?: string): Promise<TestRequest> =>
    vi.waitFor(() =>
      http.expectOne((req) => req.method === method && req.url === url && (!direction || req.params.get('direction') === direction)),
    );

  const text = () => (fixture.nativeElement as HTMLElement).textContent ?? '';
  /** A button in the open menu (`[role="menu"]`) or dialog (`[role="alertdialog"]`). */
  const overlayButton = (label: string, within = '[role="alertdialog"]') =>
    vi.waitFor(() => {
      const button = [...document.querySelectorAll<HTMLButtonElement>(`${within} button`)].find((item) => item.textContent?.trim() === label);
      if (!button) throw new Error(`no ${label} button`);
      return button;
    });
  const stable = async () => {
    fixture.detectChanges();
    await fixture.whenStable();
  };

  async function render(friends: FriendDto[]): Promise<void> {
    fixture = TestBed.createComponent(FriendsPage);
    fixture.detectChanges();
    (await next('GET', '/api/friends')).flush({ items: friends, nextCursor: null });
    (await next('GET', '/api/friends/requests', 'incoming')).flush({ items: [], nextCursor: null });
    (await next('GET', '/api/friends/requests', 'outgoing')).flush({ items: [], nextCursor: null });
    (await next('GET', '/api/blocks')).flush({ items: [], nextCursor: null });
    await vi.waitFor(async () => {
      await stable();
      expect(text()).toContain('Blocked');
    });
  }

  async function openMenuItem(label: string): Promise<void> {
    (fixture.nativeElement as HTMLElement).querySelector<HTMLButtonElement>('button[aria-label="More actions for Bob Builder"]')!.click();
    await stable();
    (await overlayButton(label, '[role="menu"]')).click();
    await stable();
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
        { provide: Toasts, useValue: { error: vi.fn(), info: vi.fn() } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('shows the empty states when there is no one yet', async () => {
    await render([]);
    expect(text()).toContain('No pending requests.');
    expect(text()).toContain('No friends yet');
    expect(text()).toContain('You have not blocked anyone.');
  });

  it('shows a friend with the status message and whether they are online', async () => {
    await render([bob]);
    expect(text()).toContain('Bob Builder');
    expect(text()).toContain('On holiday');
    expect(fixture.nativeElement.querySelector('[data-testid="online"]')).toBeNull();
    realtime.serve('presence', { userId: 'u2', online: true });
    await stable();
    expect(fixture.nativeElement.querySelector('[data-testid="online"]')?.textContent).toBe('online');
  });

  it('unfriends only after the confirmation', async () => {
    await render([bob]);
    await openMenuItem('Unfriend');
    expect(document.querySelector('[role="alertdialog"]')?.textContent).toContain('Unfriend Bob Builder?');
    (await overlayButton('Cancel')).click();
    await stable();
    http.expectNone((req) => req.method === 'DELETE');
    expect(text()).toContain('Bob Builder');

    await openMenuItem('Unfriend');
    (await overlayButton('Unfriend')).click();
    (await next('DELETE', '/api/friends/u2')).flush(null, { status: 204, statusText: 'No Content' });
    await vi.waitFor(async () => {
      await stable();
      expect(text()).toContain('No friends yet');
    });
  });

  it('blocks after the confirmation and lists the user as blocked', async () => {
    await render([bob]);
    await openMenuItem('Block');
    expect(document.querySelector('[role="alertdialog"]')?.textContent).toContain('Block Bob Builder?');
    (await overlayButton('Block')).click();
    (await next('PUT', '/api/blocks/u2')).flush(null, { status: 204, statusText: 'No Content' });
    await vi.waitFor(async () => {
      await stable();
      expect(fixture.nativeElement.querySelector('ul[aria-label="Blocked users"]')?.textContent).toContain('Bob Builder');
    });
  });

  it('opens the conversation and goes to it', async () => {
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    await render([bob]);
    (fixture.nativeElement as HTMLElement).querySelector<HTMLButtonElement>('button[aria-label="Message Bob Builder"]')!.click();
    const open = await next('POST', '/api/conversations');
    expect(open.request.body).toEqual({ userId: 'u2', encrypted: true });
    open.flush({ id: 'c9' });
    await vi.waitFor(() => expect(navigate).toHaveBeenCalledWith(['/chats', 'c9']));
  });
});
