import { HttpErrorResponse } from '@angular/common/http';
import { inject, Injectable, signal } from '@angular/core';
import { Router } from '@angular/router';
import { Api } from '../../../sdk/api';
import { privacyEraseMe } from '../../../sdk/fn/users/privacy-erase-me';
import { privacyExportMe } from '../../../sdk/fn/users/privacy-export-me';
import { usersGetMe } from '../../../sdk/fn/users/users-get-me';
import { usersUpdateMe } from '../../../sdk/fn/users/users-update-me';
import type { UpdateProfileDto } from '../../../sdk/models/update-profile-dto';
import { describeError } from '../../core/api-errors';
import { AuthStore } from '../../core/auth-store';
import { Toasts } from '../../shared/toasts';

/** A finished export, ready to be saved. */
export interface ExportFile {
  blob: Blob;
  fileName: string;
}

/** The account behind the settings page: profile, password, export and erasure, with their busy states. */
@Injectable()
export class SettingsStore {
  private readonly api = inject(Api);
  private readonly auth = inject(AuthStore);
  private readonly router = inject(Router);
  private readonly toasts = inject(Toasts);

  readonly user = this.auth.user;
  private readonly savingProfile = signal(false);
  private readonly changingPassword = signal(false);
  private readonly exportingData = signal(false);
  private readonly erasing = signal(false);
  readonly profileSaving = this.savingProfile.asReadonly();
  readonly passwordSaving = this.changingPassword.asReadonly();
  readonly exporting = this.exportingData.asReadonly();
  readonly deleting = this.erasing.asReadonly();

  /** Fetches the account as the server has it now (another device may have changed it). */
  async reload(): Promise<void> {
    try {
      this.auth.updateUser(await this.api.invoke(usersGetMe));
    } catch {
      // The page works with what the session already holds; a failed save will say what is wrong.
    }
  }

  /** Saves the changed fields; the new name shows everywhere at once. */
  async saveProfile(changes: UpdateProfileDto): Promise<void> {
    this.savingProfile.set(true);
    try {
      this.auth.updateUser(await this.api.invoke(usersUpdateMe, { body: changes }));
    } finally {
      this.savingProfile.set(false);
    }
  }

  /** Every other device is signed out; this one stays signed in with fresh tokens. */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    this.changingPassword.set(true);
    try {
      await this.auth.changePassword(currentPassword, newPassword);
    } finally {
      this.changingPassword.set(false);
    }
  }

  /** The zip of everything the server holds about the user; throws an `ExportError` when it cannot. */
  async exportData(): Promise<ExportFile> {
    this.exportingData.set(true);
    try {
      const response = await this.api.invoke$Response(privacyExportMe);
      const fileName = fileNameFrom(response.headers.get('content-disposition')) ?? fallbackFileName(this.user()?.username);
      return { blob: response.body, fileName };
    } catch (error) {
      throw await exportError(error);
    } finally {
      this.exportingData.set(false);
    }
  }

  /**
   * Erases the account for real, then ends the session on this device (which also clears the refresh
   * cookie) and opens the sign-in page.
   */
  async deleteAccount(password: string): Promise<void> {
    this.erasing.set(true);
    try {
      await this.api.invoke(privacyEraseMe, { body: { password } });
    } finally {
      this.erasing.set(false);
    }
    this.toasts.info('Your account was deleted');
    await this.auth.signOut();
    await this.router.navigateByUrl('/sign-in');
  }
}

/** Why an export failed, in words; `retryAfterMinutes` is set when the once-per-10-minutes limit was hit. */
export class ExportError extends Error {
  constructor(
    message: string,
    readonly retryAfterMinutes: number | null = null,
  ) {
    super(message);
  }
}

async function exportError(error: unknown): Promise<ExportError> {
  if (!(error instanceof HttpErrorResponse)) return new ExportError(describeError(error));
  if (error.status === 429) {
    const seconds = Number(error.headers.get('retry-after'));
    const minutes = seconds > 0 ? Math.max(1, Math.ceil(seconds / 60)) : 10;
    return new ExportError(
      `You can export your data once every 10 minutes. Try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`,
      minutes,
    );
  }
  // The request asked for a blob, so an error's JSON body arrives as a blob too.
  if (error.error instanceof Blob) {
    let body: unknown = null;
    try {
      body = JSON.parse(await error.error.text());
    } catch {
      // Not JSON (a proxy's error page): the status alone says enough.
    }
    return new ExportError(
      describeError(new HttpErrorResponse({ error: body, headers: error.headers, status: error.status, statusText: error.statusText, url: error.url ?? undefined })),
    );
  }
  return new ExportError(describeError(error));
}

/** The `filename` of a `Content-Disposition: attachment; filename="…"` header. */
export function fileNameFrom(header: string | null): string | null {
  const match = header?.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]).replace(/[/\\]/g, '_');
  } catch {
    return match[1];
  }
}

function fallbackFileName(username: string | undefined): string {
  return `iris-export-${username ?? 'me'}-${new Date().toISOString().slice(0, 10)}.zip`;
}
