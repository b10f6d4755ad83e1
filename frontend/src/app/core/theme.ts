import { DOCUMENT } from '@angular/common';
import { computed, effect, inject, Injectable, type OnDestroy, signal } from '@angular/core';

export type Theme = 'light' | 'dark';
/** What the user picked: follow the system (the default), or always light or dark. */
export type ThemePreference = 'system' | Theme;

const STORAGE_KEY = 'iris.theme';

/** Light or dark: the system's choice, live, until the user picks one, which is remembered on this device. */
@Injectable({ providedIn: 'root' })
export class ThemeService implements OnDestroy {
  private readonly document = inject(DOCUMENT);
  private readonly query = this.document.defaultView?.matchMedia?.('(prefers-color-scheme: dark)');
  private readonly systemTheme = signal<Theme>(this.query?.matches ? 'dark' : 'light');
  private readonly chosen = signal<ThemePreference>(readChoice(this.document));
  private readonly onSystemChange = (event: MediaQueryListEvent) => this.systemTheme.set(event.matches ? 'dark' : 'light');

  readonly preference = this.chosen.asReadonly();
  /** The theme on screen now. */
  readonly theme = computed(() => {
    const chosen = this.chosen();
    return chosen === 'system' ? this.systemTheme() : chosen;
  });

  constructor() {
    this.query?.addEventListener('change', this.onSystemChange);
    effect(() => {
      const chosen = this.chosen();
      const root = this.document.documentElement;
      root.classList.toggle('theme-light', chosen === 'light');
      root.classList.toggle('theme-dark', chosen === 'dark');
    });
  }

  setPreference(preference: ThemePreference): void {
    this.chosen.set(preference);
    try {
      if (preference === 'system') this.document.defaultView?.localStorage.removeItem(STORAGE_KEY);
      else this.document.defaultView?.localStorage.setItem(STORAGE_KEY, preference);
    } catch {
      // Storage may be unavailable (private mode); the choice then lasts for this page only.
    }
  }

  /** Switches to the other theme; picking what the system shows anyway goes back to following the system. */
  toggle(): void {
    const next: Theme = this.theme() === 'dark' ? 'light' : 'dark';
    this.setPreference(next === this.systemTheme() ? 'system' : next);
  }

  ngOnDestroy(): void {
    this.query?.removeEventListener('change', this.onSystemChange);
  }
}

function readChoice(document: Document): ThemePreference {
  try {
    const value = document.defaultView?.localStorage.getItem(STORAGE_KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}
