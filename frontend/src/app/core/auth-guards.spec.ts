import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router, UrlTree } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { adminGuard, signedInGuard } from './auth-guards';
import { AuthStore } from './auth-store';
import { authResponse } from './auth-store.fixtures';

@Component({ template: 'page' })
class Page {}

describe('auth guards', () => {
  let http: HttpTestingController;

  async function signInAs(role: 'user' | 'admin'): Promise<void> {
    const done = TestBed.inject(AuthStore).signIn('alice', 'correct horse battery');
    const response = authResponse('token-1');
    await vi.waitFor(() => http.expectOne('/api/auth/login')).then((request) =>
      request.flush({ ...response, user: { ...response.user, role } }),
    );
    await done;
  }

  function runAdminGuard(): boolean | UrlTree {
    return TestBed.runInInjectionContext(() => adminGuard({} as never, {} as never)) as boolean | UrlTree;
  }

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'chats', component: Page },
          { path: 'sign-in', component: Page },
          { path: 'admin', canActivate: [signedInGuard, adminGuard], component: Page },
        ]),
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  describe('adminGuard', () => {
    it('lets an admin in', async () => {
      await signInAs('admin');
      expect(runAdminGuard()).toBe(true);
    });

    it('sends a signed-in user who is not an admin to their chats', async () => {
      await signInAs('user');
      const result = runAdminGuard();
      expect(result).toBeInstanceOf(UrlTree);
      expect(TestBed.inject(Router).serializeUrl(result as UrlTree)).toBe('/chats');
    });

    it('sends someone signed out to their chats too (the signed-in guard before it sends them to sign in)', () => {
      const result = runAdminGuard();
      expect(TestBed.inject(Router).serializeUrl(result as UrlTree)).toBe('/chats');
    });

    it('sends a navigation to /admin to sign-in when signed out and to the chats for a user, and lets an admin arrive', async () => {
      const harness = await RouterTestingHarness.create();
      await harness.navigateByUrl('/admin');
      expect(TestBed.inject(Router).url).toBe('/sign-in');

      await signInAs('user');
      await harness.navigateByUrl('/admin');
      expect(TestBed.inject(Router).url).toBe('/chats');

      await signInAs('admin');
      await harness.navigateByUrl('/admin');
      expect(TestBed.inject(Router).url).toBe('/admin');
    });
  });
});
