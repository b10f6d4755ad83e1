import { HttpErrorResponse } from '@angular/common/http';
import { computed, inject, Injectable, type OnDestroy, signal } from '@angular/core';
import { Api } from '../../sdk/api';
import { authChangePassword } from '../../sdk/fn/auth/auth-change-password';
import { authLogin } from '../../sdk/fn/auth/auth-login';
import { authLogout } from '../../sdk/fn/auth/auth-logout';
import { authRefresh } from '../../sdk/fn/auth/auth-refresh';
import { authRegister } from '../../sdk/fn/auth/auth-register';
import type { AuthResponseDto } from '../../sdk/models/auth-response-dto';
import type { UserDto } from '../../sdk/models/user-dto';

/** Refresh this long before the access token runs out. */
const REFRESH_MARGIN_MS = 60_000;
const MIN_REFRESH_DELAY_MS = 5_000;
const RETRY_DELAY_MS = 30_000;

interface Session {
  accessToken: string;
  expiresAt: number;
  user: UserDto;
}

/**
 * The signed-in user and their access token, kept in memory only. The refresh token lives in the
 * httpOnly `iris_refresh` cookie, so a reload restores the session through `POST /api/auth/refresh`.
 */
@Injectable({ providedIn: 'root' })
export class AuthStore implements OnDestroy {
  private readonly api = inject(Api);
  private readonly session = signal<Session | null>(null);
  private refreshing: Promise<boolean> | null = null;
  /** A password change in flight: true once its new tokens are in. */
  private passwordChange: Promise<boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  readonly user = computed(() => this.session()?.user ?? null);
  readonly signedIn = computed(() => this.session() !== null);

  accessToken(): string | null {
    return this.session()?.accessToken ?? null;
  }

  /** Called once at start-up: signed in again when the cookie still holds a live session. */
  async restore(): Promise<void> {
    await this.refresh();
  }

  async signIn(username: string, password: string): Promise<void> {
    this.accept(await this.api.invoke(authLogin, { body: { username, password } }));
  }

  async register(username: string, password: string, displayName?: string): Promise<void> {
    this.accept(await this.api.invoke(authRegister, { body: { username, password, displayName } }));
  }

  /** After the profile was saved: the shell and everything else show the new name at once. */
  updateUser(user: UserDto): void {
    this.session.update((session) => (session && session.user.id === user.id ? { ...session, user } : session));
  }

  /**
   * Changes the password and stays signed in: the server ends every session, this one included, and
   * answers with a fresh token pair (and refresh cookie) for this device.
   */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    const change = this.api.invoke(authChangePassword, { body: { currentPassword, newPassword } });
    // The old session ends while the answer is on its way, and the socket closing or a 401 would then
    // refresh with the revoked cookie and sign the user out: until the new tokens are in, they wait for them.
    const renewed = change.then(
      (response) => {
        this.accept(response);
        return true;
      },
      () => false,
    );
    this.passwordChange = renewed;
    try {
      await change;
    } finally {
      await renewed;
      if (this.passwordChange === renewed) this.passwordChange = null;
    }
  }

  async signOut(): Promise<void> {
    try {
      await this.api.invoke(authLogout, { body: {} });
    } catch {
      // The session ends on this side anyway; the server forgets it when the refresh token expires.
    } finally {
      this.clear();
    }
  }

  /**
   * Trades the cookie for new tokens. Concurrent callers share one request: the refresh token rotates
   * on every use, and sending the same one twice would end the session as a replay.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.requestRefresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /**
   * After a 401 for a request sent with `usedToken`: true when a newer token is there to retry with
   * (refreshing once if no other request has done it meanwhile).
   */
  async renewAfter(usedToken: string | null): Promise<boolean> {
    const current = this.accessToken();
    if (current !== null && current !== usedToken) return true;
    if (usedToken === null) return false;
    return this.refresh();
  }

  ngOnDestroy(): void {
    clearTimeout(this.timer);
  }

  private async requestRefresh(): Promise<boolean> {
    if (this.passwordChange && (await this.passwordChange)) return true;
    try {
      this.accept(await acrossTabs(() => this.api.invoke(authRefresh, { body: {} })));
      return true;
    } catch (error) {
      if (error instanceof HttpErrorResponse && (error.status === 0 || error.status >= 500) && this.session()) {
        // A network or server hiccup is not the end of the session: try again while the token lasts.
        this.schedule(RETRY_DELAY_MS);
      } else {
        this.clear();
      }
      return false;
    }
  }

  private accept(response: AuthResponseDto): void {
    const lifetimeMs = response.expiresIn * 1000;
    this.session.set({ accessToken: response.accessToken, expiresAt: Date.now() + lifetimeMs, user: response.user });
    this.schedule(Math.max(MIN_REFRESH_DELAY_MS, lifetimeMs - REFRESH_MARGIN_MS));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delayMs);
  }

  private clear(): void {
    clearTimeout(this.timer);
    this.session.set(null);
  }
}

/** Other tabs share the cookie: one refresh at a time, so none of them sends a token another just used. */
async function acrossTabs<T>(work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (!locks) return work();
  // The lock's promise resolves with what the callback returned.
  return (await locks.request('iris-auth-refresh', work)) as T;
}
