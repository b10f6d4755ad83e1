import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting, type TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MAT_DIALOG_DATA, MatDialogRef } from '@angular/material/dialog';
import { adminUser, erasureCounts } from './admin.fixtures';
import { EraseUserDialog, type EraseUserDialogData } from './erase-user-dialog';

describe('EraseUserDialog', () => {
  let http: HttpTestingController;
  let dialogRef: { close: ReturnType<typeof vi.fn>; disableClose: boolean };

  let data: EraseUserDialogData;

  function render(dialogData: EraseUserDialogData = { user: adminUser(), self: false }): HTMLElement {
    data = dialogData;
    const fixture = TestBed.createComponent(EraseUserDialog);
    fixture.autoDetectChanges();
    return fixture.nativeElement as HTMLElement;
  }

  const dryRun = () =>
    vi.waitFor(() => http.expectOne((request) => request.method === 'DELETE' && request.urlWithParams === '/api/admin/users/u2?dryRun=true'));
  const erasure = () =>
    vi.waitFor(() => http.expectOne((request) => request.method === 'DELETE' && request.urlWithParams === '/api/admin/users/u2'));
  const fail = (request: TestRequest, status: number, code: string) =>
    request.flush({ statusCode: status, error: 'x', code, message: code }, { status, statusText: 'x' });
  const eraseButton = (element: HTMLElement) =>
    [...element.querySelectorAll('button')].find((button) => button.textContent?.includes('Erase account')) as HTMLButtonElement;
  const confirmInput = (element: HTMLElement) => element.querySelector('input[name="confirm"]') as HTMLInputElement | null;

  function type(element: HTMLElement, text: string): void {
    const input = confirmInput(element)!;
    input.value = text;
    input.dispatchEvent(new Event('input'));
  }

  beforeEach(() => {
    dialogRef = { close: vi.fn(), disableClose: false };
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: MAT_DIALOG_DATA, useFactory: () => data },
        { provide: MatDialogRef, useValue: dialogRef },
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('counts with a dry run first and says in words what will be deleted, before anything can be erased', async () => {
    const element = render();
    await vi.waitFor(() => expect(element.textContent).toContain('Counting what will be deleted'));
    expect(eraseButton(element).disabled).toBe(true);
    expect(confirmInput(element)).toBeNull();

    (await dryRun()).flush({ dryRun: true, counts: erasureCounts() });
    await vi.waitFor(() => expect(element.querySelector('[data-testid="erase-summary"]')).not.toBeNull());

    const items = [...element.querySelectorAll('[data-testid="erase-summary"] li')].map((li) => li.textContent?.trim());
    expect(items).toEqual([
      'the account: profile, username and password',
      '1,234 messages they sent',
      '12 files (3.4 MB)',
      '5 friendships',
      '1 block',
      '2 signed-in devices',
      'their side of 4 conversations',
    ]);
    expect(eraseButton(element).disabled).toBe(true);
    http.expectNone('/api/admin/users/u2');
  });

  it('keeps the erase button disabled until the username is typed, then erases and closes with the counts', async () => {
    const element = render();
    (await dryRun()).flush({ dryRun: true, counts: erasureCounts() });
    await vi.waitFor(() => expect(confirmInput(element)).not.toBeNull());

    type(element, 'bo');
    await vi.waitFor(() => expect(eraseButton(element).disabled).toBe(true));
    type(element, 'bobby');
    await vi.waitFor(() => expect(eraseButton(element).disabled).toBe(true));
    type(element, 'bob');
    await vi.waitFor(() => expect(eraseButton(element).disabled).toBe(false));

    eraseButton(element).click();
    const request = await erasure();
    expect(request.request.params.has('dryRun')).toBe(false);
    request.flush({ dryRun: false, counts: erasureCounts() });
    await vi.waitFor(() => expect(dialogRef.close).toHaveBeenCalledWith({ outcome: 'erased', counts: erasureCounts() }));
  });

  it('says that the last administrator cannot be erased, with no way to confirm', async () => {
    const element = render({ user: adminUser({ id: 'u2', username: 'ada', role: 'admin' }), self: true });
    fail(await dryRun(), 409, 'LAST_ADMIN');
    await vi.waitFor(() => expect(element.querySelector('[role="alert"]')?.textContent).toContain('This is the last administrator'));
    expect(confirmInput(element)).toBeNull();
    expect(eraseButton(element).disabled).toBe(true);
    expect(element.textContent).not.toContain('Try again');
  });

  it('offers to count again after a passing failure', async () => {
    const element = render();
    (await dryRun()).error(new ProgressEvent('error'));
    await vi.waitFor(() => expect(element.textContent).toContain('Cannot reach the server'));
    ([...element.querySelectorAll('button')].find((button) => button.textContent?.includes('Try again')) as HTMLButtonElement).click();
    (await dryRun()).flush({ dryRun: true, counts: erasureCounts({ messages: 0, attachments: 0, attachmentBytes: 0, friendships: 0, blocks: 0, sessions: 0, conversations: 0 }) });
    await vi.waitFor(() => expect(element.textContent).toContain('They have no messages, files, friends or sessions.'));
  });

  it('shows why the erasure failed and stays open', async () => {
    const element = render();
    (await dryRun()).flush({ dryRun: true, counts: erasureCounts() });
    await vi.waitFor(() => expect(confirmInput(element)).not.toBeNull());
    type(element, 'bob');
    await vi.waitFor(() => expect(eraseButton(element).disabled).toBe(false));
    eraseButton(element).click();
    fail(await erasure(), 500, 'INTERNAL_ERROR');
    await vi.waitFor(() => expect(element.querySelector('[data-testid="erase-error"]')?.textContent).toContain('Something went wrong on the server'));
    expect(dialogRef.close).not.toHaveBeenCalled();
    expect(eraseButton(element).disabled).toBe(false);
  });

  it('closes as "gone" when someone else erased the account first', async () => {
    render();
    fail(await dryRun(), 404, 'USER_NOT_FOUND');
    await vi.waitFor(() => expect(dialogRef.close).toHaveBeenCalledWith({ outcome: 'gone' }));
  });

  it('warns an admin who is about to erase their own account', async () => {
    const element = render({ user: adminUser({ role: 'admin' }), self: true });
    (await dryRun()).flush({ dryRun: true, counts: erasureCounts() });
    await vi.waitFor(() => expect(element.textContent).toContain('This is your own account. Erasing it signs you out everywhere.'));
  });
});
