import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting, type TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthStore } from '../../core/auth-store';
import { adminUser, erasureCounts, signInAsAdmin } from './admin.fixtures';
import { AdminUsersPage } from './admin-users-page';

describe('AdminUsersPage', () => {
  let http: HttpTestingController;

  const listRequest = (predicate: (params: URLSearchParams) => boolean = () => true) =>
    vi.waitFor(() =>
      http.expectOne((request) => {
        if (request.method !== 'GET' || request.url !== '/api/admin/users') return false;
        return predicate(new URLSearchParams(request.params.toString()));
      }),
    );
  const firstPage = (search?: string) => listRequest((params) => params.get('search') === (search ?? null) && !params.has('cursor'));
  const rows = (element: HTMLElement) => [...element.querySelectorAll('[data-testid="admin-user-row"]')];
  const searchBox = (element: HTMLElement) => element.querySelector('input[type="search"]') as HTMLInputElement;

  function type(element: HTMLElement, text: string): void {
    searchBox(element).value = text;
    searchBox(element).dispatchEvent(new Event('input'));
  }

  async function render(): Promise<HTMLElement> {
    const fixture = TestBed.createComponent(AdminUsersPage);
    fixture.autoDetectChanges();
    return fixture.nativeElement as HTMLElement;
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] });
    http = TestBed.inject(HttpTestingController);
    await signInAsAdmin(http);
  });

  afterEach(() => {
    http.verify();
    document.querySelectorAll('.cdk-overlay-container').forEach((overlay) => (overlay.innerHTML = ''));
  });

  it('lists every account with its name, role, join date and what it holds', async () => {
    const element = await render();
    await vi.waitFor(() => expect(element.textContent).toContain('Loading users'));
    (await firstPage()).flush({
      items: [
        adminUser({ id: 'admin-1', username: 'ada', displayName: 'Ada', role: 'admin', messageCount: 0, attachmentBytes: 0, lastSeenAt: new Date().toISOString() }),
        adminUser(),
      ],
      nextCursor: null,
    });
    await vi.waitFor(() => expect(rows(element)).toHaveLength(2));

    const [ada, bob] = rows(element).map((row) => row.textContent ?? '');
    expect(ada).toContain('Ada');
    expect(ada).toContain('@ada');
    expect(ada).toContain('Admin');
    expect(ada).toContain('You');
    expect(ada).toContain('just now');
    expect(bob).toContain('Bob Builder');
    expect(bob).toContain('@bob');
    expect(bob).not.toContain('Admin');
    expect(bob).toContain('1,234');
    expect(bob).toContain('3.4 MB');
    expect(bob).toContain('Signed out everywhere');
    expect(bob).toContain('2026');
    expect(element.querySelector('[role="status"]')?.textContent).toContain('2 users');
    expect(rows(element)[1].querySelector('button')?.getAttribute('aria-label')).toBe('Erase bob');
  });

  it('searches as the admin types, once typing pauses, and ignores answers to older searches', async () => {
    const element = await render();
    (await firstPage()).flush({ items: [adminUser(), adminUser({ id: 'u3', username: 'carol', displayName: 'Carol' })], nextCursor: null });
    await vi.waitFor(() => expect(rows(element)).toHaveLength(2));

    type(element, 'c');
    type(element, 'ca');
    type(element, ' car');
    // A space at the end changes nothing: the search for "car" goes out all the same.
    type(element, ' car ');
    const car = await firstPage('car');
    http.expectNone((request) => ['c', 'ca'].includes(request.params.get('search') ?? ''));

    type(element, 'bob');
    const bob = await firstPage('bob');
    bob.flush({ items: [adminUser()], nextCursor: null });
    await vi.waitFor(() => expect(rows(element)).toHaveLength(1));
    // The answer to "car" arrives late: the list stays on "bob".
    car.flush({ items: [adminUser({ id: 'u3', username: 'carol', displayName: 'Carol' })], nextCursor: null });
    await new Promise((done) => setTimeout(done, 20));
    expect(rows(element)).toHaveLength(1);
    expect(rows(element)[0].textContent).toContain('@bob');
    expect(element.querySelector('[role="status"]')?.textContent).toContain('1 user matching “bob”');

    type(element, 'zed');
    (await firstPage('zed')).flush({ items: [], nextCursor: null });
    await vi.waitFor(() => expect(element.textContent).toContain('No user matches “zed”'));

    type(element, '');
    (await firstPage()).flush({ items: [adminUser()], nextCursor: null });
    await vi.waitFor(() => expect(rows(element)).toHaveLength(1));
  });

  it('loads more with the cursor, keeping the search', async () => {
    const element = await render();
    type(element, 'b');
    (await firstPage()).flush({ items: [], nextCursor: null });
    (await firstPage('b')).flush({ items: [adminUser()], nextCursor: 'next-1' });
    await vi.waitFor(() => expect(element.textContent).toContain('Load more users'));

    ([...element.querySelectorAll('button')].find((button) => button.textContent?.includes('Load more users')) as HTMLButtonElement).click();
    const more: TestRequest = await listRequest((params) => params.get('cursor') === 'next-1' && params.get('search') === 'b');
    more.flush({ items: [adminUser({ id: 'u4', username: 'bea', displayName: 'Bea' })], nextCursor: null });
    await vi.waitFor(() => expect(rows(element)).toHaveLength(2));
    expect(element.textContent).not.toContain('Load more users');
  });

  it('shows why the list could not load, and loads again on request', async () => {
    const element = await render();
    (await firstPage()).flush({ code: 'INTERNAL_ERROR', message: 'x' }, { status: 500, statusText: 'Server Error' });
    await vi.waitFor(() => expect(element.querySelector('[role="alert"]')?.textContent).toContain('Could not load the users.'));
    ([...element.querySelectorAll('button')].find((button) => button.textContent?.includes('Try again')) as HTMLButtonElement).click();
    (await firstPage()).flush({ items: [adminUser()], nextCursor: null });
    await vi.waitFor(() => expect(rows(element)).toHaveLength(1));
  });

  it('erases through the dialog and takes the account off the list', async () => {
    const element = await render();
    (await firstPage()).flush({ items: [adminUser(), adminUser({ id: 'u3', username: 'carol', displayName: 'Carol' })], nextCursor: null });
    await vi.waitFor(() => expect(rows(element)).toHaveLength(2));

    (rows(element)[0].querySelector('button') as HTMLButtonElement).click();
    (await vi.waitFor(() => http.expectOne('/api/admin/users/u2?dryRun=true'))).flush({ dryRun: true, counts: erasureCounts() });
    const dialog = await vi.waitFor(() => {
      const found = document.querySelector('mat-dialog-container');
      expect(found?.textContent).toContain('1,234 messages they sent');
      return found as HTMLElement;
    });
    const input = dialog.querySelector('input[name="confirm"]') as HTMLInputElement;
    input.value = 'bob';
    input.dispatchEvent(new Event('input'));
    const erase = [...dialog.querySelectorAll('button')].find((button) => button.textContent?.includes('Erase account')) as HTMLButtonElement;
    await vi.waitFor(() => expect(erase.disabled).toBe(false));
    erase.click();
    (await vi.waitFor(() => http.expectOne((request) => request.urlWithParams === '/api/admin/users/u2'))).flush({ dryRun: false, counts: erasureCounts() });

    await vi.waitFor(() => expect(rows(element)).toHaveLength(1));
    expect(rows(element)[0].textContent).toContain('@carol');
    await vi.waitFor(() => expect(document.body.textContent).toContain('Erased @bob with 1,234 messages they sent'));
    expect(TestBed.inject(AuthStore).signedIn()).toBe(true);
  });

  it('signs the admin out after they erased their own account', async () => {
    const element = await render();
    (await firstPage()).flush({ items: [adminUser({ id: 'admin-1', username: 'ada', displayName: 'Ada', role: 'admin' })], nextCursor: null });
    await vi.waitFor(() => expect(rows(element)).toHaveLength(1));

    (rows(element)[0].querySelector('button') as HTMLButtonElement).click();
    (await vi.waitFor(() => http.expectOne('/api/admin/users/admin-1?dryRun=true'))).flush({ dryRun: true, counts: erasureCounts() });
    const dialog = await vi.waitFor(() => {
      const found = document.querySelector('mat-dialog-container');
      expect(found?.textContent).toContain('This is your own account');
      return found as HTMLElement;
    });
    const input = dialog.querySelector('input[name="confirm"]') as HTMLInputElement;
    input.value = 'ada';
    input.dispatchEvent(new Event('input'));
    const erase = [...dialog.querySelectorAll('button')].find((button) => button.textContent?.includes('Erase account')) as HTMLButtonElement;
    await vi.waitFor(() => expect(erase.disabled).toBe(false));
    erase.click();
    (await vi.waitFor(() => http.expectOne((request) => request.urlWithParams === '/api/admin/users/admin-1'))).flush({ dryRun: false, counts: erasureCounts() });

    // The session went with the account: signing out only forgets it here.
    (await vi.waitFor(() => http.expectOne('/api/auth/logout'))).flush({ code: 'SESSION_REVOKED', message: 'x' }, { status: 401, statusText: 'Unauthorized' });
    await vi.waitFor(() => expect(TestBed.inject(AuthStore).signedIn()).toBe(false));
  });
});
