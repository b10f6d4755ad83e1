import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { auditEvent, erasureCounts, signInAsAdmin } from './admin.fixtures';
import { AdminAuditPage } from './admin-audit-page';

describe('AdminAuditPage', () => {
  let http: HttpTestingController;

  const page = (cursor?: string) =>
    vi.waitFor(() => http.expectOne(cursor ? `/api/admin/audit?cursor=${cursor}&limit=50` : '/api/admin/audit?limit=50'));
  const events = (element: HTMLElement) =>
    [...element.querySelectorAll('[data-testid="audit-event"]')].map((event) => event.textContent?.replace(/\s+/g, ' ').trim() ?? '');

  function render(): HTMLElement {
    const fixture = TestBed.createComponent(AdminAuditPage);
    fixture.autoDetectChanges();
    return fixture.nativeElement as HTMLElement;
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    await signInAsAdmin(http);
  });

  afterEach(() => http.verify());

  it('shows each event with its action, who acted and what it deleted, newest first', async () => {
    const element = render();
    (await page()).flush({
      items: [
        auditEvent({ actorId: 'admin-1' }),
        auditEvent({ actorId: 'admin-2', details: { ...erasureCounts({ messages: 1, attachments: 0, attachmentBytes: 0 }) } }),
        auditEvent({ actorKind: 'self', actorId: null, details: { ...erasureCounts({ messages: 0, attachments: 0, attachmentBytes: 0, friendships: 0, blocks: 0, sessions: 0, conversations: 0 }) } }),
        auditEvent({ actorId: null }),
        auditEvent({ action: 'user.promoted', actorKind: 'system', actorId: null, details: { role: 'admin' } }),
      ],
      nextCursor: null,
    });
    // Each other acting admin is looked up once, by id.
    (await vi.waitFor(() => http.expectOne('/api/users/admin-2'))).flush({ id: 'admin-2', username: 'grace', displayName: 'Grace', statusMessage: '' });
    await vi.waitFor(() => expect(events(element)[1]).toContain('By: Administrator Grace (@grace)'));

    const [mine, grace, self, gone, other] = events(element);
    expect(mine).toContain('Account erased');
    expect(mine).toContain('By: You');
    expect(mine).toContain('Deleted the account with 1,234 messages they sent, 12 files (3.4 MB), 5 friendships, 1 block, 2 signed-in devices, their side of 4 conversations.');
    expect(grace).toContain('Deleted the account with 1 message they sent, 5 friendships');
    expect(self).toContain('By: The account holder, from their settings');
    expect(self).toContain('it had no messages, files, friends or sessions');
    expect(gone).toContain('By: An administrator whose account has since been erased');
    expect(other).toContain('user.promoted');
    expect(other).toContain('By: The server');
    expect(other).toContain('role: admin');
  });

  it('loads older events with the cursor', async () => {
    const element = render();
    (await page()).flush({ items: [auditEvent({ actorId: 'admin-1' })], nextCursor: 'older' });
    await vi.waitFor(() => expect(events(element)).toHaveLength(1));
    ([...element.querySelectorAll('button')].find((button) => button.textContent?.includes('Load older events')) as HTMLButtonElement).click();
    (await page('older')).flush({ items: [auditEvent({ actorKind: 'self', actorId: null })], nextCursor: null });
    await vi.waitFor(() => expect(events(element)).toHaveLength(2));
  });

  it('says when nothing has been recorded, and why the trail could not load', async () => {
    const element = render();
    (await page()).flush({ code: 'FORBIDDEN', message: 'x' }, { status: 403, statusText: 'Forbidden' });
    await vi.waitFor(() => expect(element.querySelector('[role="alert"]')?.textContent).toContain('You are not allowed to do that.'));
    ([...element.querySelectorAll('button')].find((button) => button.textContent?.includes('Try again')) as HTMLButtonElement).click();
    (await page()).flush({ items: [], nextCursor: null });
    await vi.waitFor(() => expect(element.textContent).toContain('Nothing recorded yet'));
  });
});
