import { HttpErrorResponse } from '@angular/common/http';
import { computed, inject, Injectable, type OnDestroy, signal } from '@angular/core';
import { Api } from '../../sdk/api';
import { authChangePassword } from '../../sdk/fn/auth/auth-change-password';
import { authLogin } from '../../sdk/fn/auth/auth-login';
import { authLoginMfa } from '../../sdk/fn/auth/auth-login-mfa';
import { authLogout } from '../../sdk/fn/auth/auth-logout';
import { authRefresh } from '../../sdk/fn/auth/auth-refresh';
import { authRegister } from '../../sdk/fn/auth/auth-register';
import { passkeysSecondStep } from '../../sdk/fn/auth/passkeys-second-step';
import { passkeysSecondStepOptions } from '../../sdk/fn/auth/passkeys-second-step-options';
import { passkeysSignIn } from '../../sdk/fn/auth/passkeys-sign-in';
import { passkeysSignInOptions } from '../../sdk/fn/auth/passkeys-sign-in-options';
import type { AuthResponseDto } from '../../sdk/models/auth-response-dto';
import type { UserDto } from '../../sdk/models/user-dto';
import { usePasskey } from './passkeys';

/** Refresh this long before the access token runs out. */
const REFRESH_MARGIN_MS = 60_000;
const MIN_REFRESH_DELAY_MS = 5_000;
const RETRY_DELAY_MS = 30_000;
/** The signed-in user (their profile, never a token), so that the app opens on its own while the server is out of reach. */
const REMEMBERED_USER = 'iris.user';

interface Session {
  /** Null while the server could not be reached at start-up: the app runs offline on the remembered user. */
  accessToken: string | null;
  expiresAt: number;
  user: UserDto;
}

/**
 * The signed-in user and their access token, kept in memory only. The refresh token lives in the
 * httpOnly `iris_refresh` cookie, so a reload restores the session through `POST /api/auth/refresh`.
 * When that cannot reach the server (offline, server down), the app opens anyway as the user who was
 * signed in (remembered in localStorage), offline, and refreshes once the network is back: only the
 * server's refusal signs out.
 */
@Injectable({ providedIn: 'root' })
export class AuthStore implements OnDestroy {
  private readonly api = inject(Api);
  private readonly session = signal<Session | null>(null);
  private refreshing: Promise<boolean> | null = null;
  /** A password change in flight: true once its new tokens are in. */
  private passwordChange: Promise<boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopListening: () => void = () => undefined;

  readonly user = computed(() => this.session()?.user ?? null);
  readonly signedIn = computed(() => this.session() !== null);
  /** Signed in, but the server has not been reached since the app opened: nothing can be sent or loaded yet. */
  readonly offline = computed(() => this.session() !== null && this.session()?.accessToken === null);

  constructor() {
    if (typeof window === 'undefined') return;
    const online = () => {
      if (this.offline()) void this.refresh();
    };
    window.addEventListener('online', online);
    this.stopListening = () => window.removeEventListener('online', online);
  }

  accessToken(): string | null {
    return this.session()?.accessToken ?? null;
  }

  /** Called once at start-up: signed in again when the cookie still holds a live session. */
  async restore(): Promise<void> {
    await this.refresh();
  }

  /** Signs in, or answers the token of the second step when two-factor authentication is on (see `completeSignIn`). */
  async signIn(username: string, password: string): Promise<{ mfaToken: string } | null> {
    const answer = await this.api.invoke(authLogin, { body: { username, password } });
    if ('mfaRequired' in answer) return { mfaToken: answer.mfaToken };
    this.accept(answer);
    return null;
  }

  /** The second step: a code from the authenticator app, or a recovery code. */
  async completeSignIn(mfaToken: string, code: string): Promise<void> {
    this.accept(await this.api.invoke(authLoginMfa, { body: { mfaToken, code } }));
  }

  /** Signs in with a passkey alone: the browser offers the passkeys it holds for this site, no username typed. */
  async signInWithPasskey(): Promise<void> {
    const credential = await usePasskey(await this.api.invoke(passkeysSignInOptions));
    this.accept(await this.api.invoke(passkeysSignIn, { body: { credential } }));
  }

  /** The second step with one of the account's passkeys instead of a code. */
  async completeSignInWithPasskey(mfaToken: string): Promise<void> {
    const credential = await usePasskey(await this.api.invoke(passkeysSecondStepOptions, { body: { mfaToken } }));
    this.accept(await this.api.invoke(passkeysSecondStep, { body: { mfaToken, credential } }));
  }

  async register(username: string, password: string, displayName?: string): Promise<void> {
    this.accept(await this.api.invoke(authRegister, { body: { username, password, displayName } }));
  }

  /** After the profile was saved: the shell and everything else show the new name at once. */
  updateUser(user: UserDto): void {
    this.session.update((session) => (session && session.user.id === user.id ? { ...session, user } : session));
    if (this.session()?.user === user) remember(user);
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
    // Opened offline: the first 401 once the server answers is for want of a token, not a refusal.
    if (usedToken === null) return this.offline() ? this.refresh() : false;
    return this.refresh();
  }

  ngOnDestroy(): void {
    clearTimeout(this.timer);
    this.stopListening();
  }

  private async requestRefresh(): Promise<boolean> {
    if (this.passwordChange && (await this.passwordChange)) return true;
    try {
      this.accept(await acrossTabs(() => this.api.invoke(authRefresh, { body: {} })));
      return true;
    } catch (error) {
      if (error instanceof HttpErrorResponse && (error.status === 0 || error.status >= 500)) {
        // A network or server hiccup is not the end of the session: try again while the token lasts, or
        // (at start-up) open offline as the remembered user.
        const remembered = this.session() ? null : rememberedUser();
        if (remembered) this.session.set({ accessToken: null, expiresAt: 0, user: remembered });
        if (this.session()) {
          this.schedule(RETRY_DELAY_MS);
          return false;
        }
      }
      this.clear();
      return false;
    }
  }

  private accept(response: AuthResponseDto): void {
    const lifetimeMs = response.expiresIn * 1000;
    this.session.set({ accessToken: response.accessToken, expiresAt: Date.now() + lifetimeMs, user: response.user });
    remember(response.user);
    this.schedule(Math.max(MIN_REFRESH_DELAY_MS, lifetimeMs - REFRESH_MARGIN_MS));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delayMs);
  }

  private clear(): void {
    clearTimeout(this.timer);
    this.session.set(null);
    remember(null);
  }
}

function remember(user: UserDto | null): void {
  try {
    if (user) localStorage.setItem(REMEMBERED_USER, JSON.stringify(user));
    else localStorage.removeItem(REMEMBERED_USER);
  } catch {
    // Storage refused: the app just cannot open offline.
  }
}

function rememberedUser(): UserDto | null {
  try {
    const user = JSON.parse(localStorage.getItem(REMEMBERED_USER) ?? 'null') as UserDto | null;
    return user && typeof user.id === 'string' ? user : null;
  } catch {
    return null;
  }
}

/** Other tabs share the cookie: one refresh at a time, so none of them sends a token another just used. */
async function acrossTabs<T>(work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (!locks) return work();
  // The lock's promise resolves with what the callback returned.
  return (await locks.request('iris-auth-refresh', work)) as T;
}
