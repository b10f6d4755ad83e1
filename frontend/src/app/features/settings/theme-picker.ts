import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MatRadioModule } from '@angular/material/radio';
import { ThemeService, type ThemePreference } from '../../core/theme';
import { Icon, type IconName } from '../../shared/icon';

const OPTIONS: { value: ThemePreference; label: string; icon: IconName }[] = [
  { value: 'system', label: 'System', icon: 'brightness-auto' },
  { value: 'light', label: 'Light', icon: 'light-mode' },
  { value: 'dark', label: 'Dark', icon: 'dark-mode' },
];

/** System (follows the device, live), Light or Dark; remembered on this device. */
@Component({
  selector: 'app-theme-picker',
  imports: [MatRadioModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './settings-section.scss',
  template: `
    <section class="card" aria-labelledby="theme-title">
      <h2 id="theme-title">Theme</h2>
      <mat-radio-group
        class="options"
        aria-labelledby="theme-title"
        aria-describedby="theme-hint"
        [value]="theme.preference()"
        (change)="theme.setPreference($event.value)"
      >
        @for (option of options; track option.value) {
          <mat-radio-button class="option" [class.checked]="theme.preference() === option.value" [value]="option.value">
            <span class="label"><app-icon [name]="option.icon" /> {{ option.label }}</span>
          </mat-radio-button>
        }
      </mat-radio-group>
      <p class="hint" id="theme-hint">
        @if (theme.preference() === 'system') {
          Follows your device's setting, now {{ theme.theme() }}.
        } @else {
          Always {{ theme.theme() }} on this device.
        }
      </p>
    </section>
  `,
  styles: `
    .options { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 8px; margin-bottom: 8px; }
    .option { border: 1px solid var(--mat-sys-outline-variant); border-radius: var(--mat-sys-corner-medium); padding: 4px 8px 4px 0; min-width: 0; }
    .option.checked { border-color: var(--mat-sys-primary); background: var(--mat-sys-secondary-container); color: var(--mat-sys-on-secondary-container); }
    .label { display: inline-flex; align-items: center; gap: 6px; font: var(--mat-sys-label-large); }
    .label app-icon { --icon-size: 20px; }
    .hint { margin: 4px 0 0; }
    @media (max-width: 400px) { .label app-icon { display: none; } }
  `,
})
export class ThemePicker {
  protected readonly theme = inject(ThemeService);
  protected readonly options = OPTIONS;
}
