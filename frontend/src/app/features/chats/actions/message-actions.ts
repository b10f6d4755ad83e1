import { ChangeDetectionStrategy, Component, inject, input, output, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatMenuModule, MatMenuTrigger } from '@angular/material/menu';
import { Icon } from '../../../shared/icon';
import { Toasts } from '../../../shared/toasts';

type Action = 'reply' | 'copy' | 'edit' | 'remove' | { react: string };

/** The quick reactions the menu offers. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

/**
 * The one menu of a message (reply, react, copy, edit, delete), behind a "More actions" button that
 * shows on hover and focus. The button is out of the Tab order: the history's rows are (one stop for
 * the whole list), and a row opens this menu with Enter, the context-menu key or a long press.
 */
@Component({
  selector: 'app-message-actions',
  imports: [Icon, MatButtonModule, MatMenuModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <button mat-icon-button type="button" class="more" tabindex="-1" data-testid="message-actions" #trigger="matMenuTrigger" [matMenuTriggerFor]="menu" (menuClosed)="afterClose()" [attr.aria-label]="'More actions: ' + summary()">
      <app-icon name="more-vert" />
    </button>
    <mat-menu #menu="matMenu" [ariaLabel]="'Actions for message: ' + summary()">
      <button mat-menu-item type="button" (click)="chosen = 'reply'">Reply</button>
      <button mat-menu-item type="button" [matMenuTriggerFor]="emoji">React</button>
      @if (text()) {
        <button mat-menu-item type="button" (click)="chosen = 'copy'">Copy text</button>
      }
      @if (canEdit()) {
        <button mat-menu-item type="button" (click)="chosen = 'edit'">Edit</button>
      }
      @if (canDelete()) {
        <button mat-menu-item type="button" (click)="chosen = 'remove'">Delete</button>
      }
    </mat-menu>
    <mat-menu #emoji="matMenu" ariaLabel="Reactions" class="emoji-menu">
      @for (key of quick; track key) {
        <button mat-menu-item type="button" class="emoji" [attr.aria-label]="(reacted().includes(key) ? 'Remove reaction ' : 'React with ') + key" (click)="chosen = { react: key }">
          {{ key }}
        </button>
      }
    </mat-menu>
  `,
  styles: `
    :host { display: inline-flex; }
    .more { --icon-size: 20px; }
  `,
})
export class MessageActions {
  /** The message in a few words, for the labels. */
  readonly summary = input('');
  /** Its text, for Copy text (empty: no such item). */
  readonly text = input('');
  readonly canEdit = input(false);
  readonly canDelete = input(false);
  /** The emoji you already reacted with (picking one again removes it). */
  readonly reacted = input<readonly string[]>([]);
  readonly reply = output();
  readonly react = output<string>();
  readonly edit = output();
  readonly remove = output();

  protected readonly quick = QUICK_REACTIONS;
  private readonly toasts = inject(Toasts);
  private readonly trigger = viewChild.required<MatMenuTrigger>('trigger');

  /**
   * What was picked, done once the menu has closed and given the focus back to its button: the composer
   * (reply, edit) or a dialog (delete) takes it from there, and Escape in those leads back to the message.
   */
  protected chosen: Action | null = null;

  protected afterClose(): void {
    const chosen = this.chosen;
    this.chosen = null;
    if (chosen === null) return;
    if (typeof chosen === 'object') this.react.emit(chosen.react);
    else if (chosen === 'copy') void this.copy();
    else this[chosen].emit();
  }

  /** Opens the menu with its first item focused (keyboard, long press, right click). */
  open(): void {
    this.trigger().openMenu();
    this.trigger().menu?.focusFirstItem('keyboard');
  }

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.text());
      this.toasts.info('Copied');
    } catch {
      this.toasts.info('Could not copy: your browser did not allow it');
    }
  }
}
