import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { ConversationsExport } from './conversations-export';
import { DataExport } from './data-export';
import { DeleteAccount } from './delete-account';
import { EncryptionSettings } from './encryption-settings';
import { NotificationSettings } from './notification-settings';
import { PasskeysSection } from './passkeys-section';
import { PasswordForm } from './password-form';
import { ProfileForm } from './profile-form';
import { SessionsSection } from './sessions-section';
import { TwoFactorSection } from './two-factor-section';
import { SettingsStore } from './settings-store';
import { ThemePicker } from './theme-picker';

@Component({
  selector: 'app-settings-page',
  imports: [ProfileForm, PasswordForm, ThemePicker, NotificationSettings, EncryptionSettings, DataExport, ConversationsExport, DeleteAccount, SessionsSection, TwoFactorSection, PasskeysSection],
  providers: [SettingsStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>Settings</h1>
    <app-profile-form />
    <app-theme-picker />
    <app-notification-settings />
    <app-password-form />
    <app-encryption-settings />
    <app-sessions-section />
    <app-two-factor-section />
    <app-passkeys-section />
    <app-data-export />
    <app-conversations-export />
    <app-delete-account />
  `,
  styles: `
    :host { display: flex; flex-direction: column; gap: 16px; padding: 16px 16px 32px; }
    h1 { margin: 0; font: var(--mat-sys-headline-small); }
    @media (max-width: 480px) { :host { padding: 12px 8px 24px; gap: 12px; } }
  `,
})
export class SettingsPage {
  constructor() {
    void inject(SettingsStore).reload();
  }
}
