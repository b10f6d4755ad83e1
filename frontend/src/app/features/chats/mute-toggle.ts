import { ChangeDetectionStrategy, Component, inject, Injector, input, linkedSignal, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Api } from '../../../sdk/api';
import { conversationsMute } from '../../../sdk/fn/conversations/conversations-mute';
import { MessageNotifier } from '../../core/notifications/message-notifier';
import { Toasts } from '../../shared/toasts';
import { Icon } from '../../shared/icon';

/** Mutes the conversation for you: no push, sound or desktop notification; its messages still count as unread. */
@Component({
  selector: 'app-mute-toggle',
  imports: [MatButtonModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <button
      mat-icon-button
      type="button"
      data-testid="mute-toggle"
      [disabled]="saving()"
      [attr.aria-pressed]="muted()"
      [attr.aria-label]="muted() ? 'Unmute notifications' : 'Mute notifications'"
      [title]="muted() ? 'Muted: no notifications for this chat' : 'Mute notifications for this chat'"
      (click)="toggle()"
    >
      <app-icon [name]="muted() ? 'notifications-off' : 'notifications'" />
    </button>
  `,
  styles: `:host { flex: none; --icon-size: 20px; color: var(--mat-sys-on-surface-variant); }`,
})
export class MuteToggle {
  readonly conversationId = input<string | undefined>();
  readonly mutedInput = input<boolean | undefined>(false, { alias: 'muted' });
  protected readonly muted = linkedSignal(() => this.mutedInput() ?? false);
  protected readonly saving = signal(false);
  private readonly api = inject(Api);
  private readonly injector = inject(Injector);
  private readonly toasts = inject(Toasts);

  protected async toggle(): Promise<void> {
    const id = this.conversationId();
    if (!id) return;
    this.saving.set(true);
    try {
      const conversation = await this.api.invoke(conversationsMute, { id, body: { muted: !this.muted() } });
      this.muted.set(conversation.muted);
      // Looked up here, not injected: the notifier runs with the signed-in app, not with this page.
      void this.injector.get(MessageNotifier).refresh();
    } catch (error) {
      this.toasts.error(error);
    } finally {
      this.saving.set(false);
    }
  }
}
