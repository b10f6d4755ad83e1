import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { authResponse } from '../../core/auth-store.fixtures';
import { Register } from './register';

describe('Register', () => {
  let fixture: ComponentFixture<Register>;
  let http: HttpTestingController;

  function fill(label: string, value: string): void {
    const input = [...(fixture.nativeElement as HTMLElement).querySelectorAll('mat-form-field')]
      .find((field) => field.querySelector('mat-label')?.textContent?.trim() === label)!
      .querySelector('input')!;
    input.value = value;
    input.dispatchEvent(new Event('input'));
  }

  async function submit(): Promise<void> {
    (fixture.nativeElement as HTMLElement).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await fixture.whenStable();
  }

  const text = () => (fixture.nativeElement as HTMLElement).textContent ?? '';

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(Register);
    await fixture.whenStable();
  });

  afterEach(() => http.verify());

  it('checks the fields against the server rules before sending anything', async () => {
    fill('Username', 'no spaces!');
    fill('Password', 'short');
    await submit();

    expect(text()).toContain('Use only letters, digits, _ and .');
    expect(text()).toContain('At least 8 characters.');
    http.expectNone('/api/auth/register');
  });

  it('sends the username in lower case and opens the chat list', async () => {
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
    fill('Username', 'Alice');
    fill('Password', 'correct horse');
    await submit();

    const request = http.expectOne('/api/auth/register');
    expect(request.request.body).toEqual({ username: 'alice', password: 'correct horse', displayName: undefined });
    request.flush(authResponse('token-1'), { status: 201, statusText: 'Created' });
    await vi.waitFor(() => expect(navigate).toHaveBeenCalledWith('/chats'));
  });

  it('shows a taken username on the field', async () => {
    fill('Username', 'alice');
    fill('Password', 'correct horse');
    await submit();

    http.expectOne('/api/auth/register').flush(
      { statusCode: 409, error: 'Conflict', message: 'Username taken', code: 'USERNAME_TAKEN' },
      { status: 409, statusText: 'Conflict' },
    );
    await vi.waitFor(() => expect(text()).toContain('This username is already taken.'));
  });
});
