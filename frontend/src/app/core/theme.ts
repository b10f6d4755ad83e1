import { DOCUMENT } from '@angular/common';
import { computed, effect, inject, Injectable, signal } from '@angular/core';

export type Theme = 'light' | 'dark';

const STORAGE_KEY = 'iris.theme';

/** Light or dark: the system's choice until the user picks one, which is remembered on this device. */
@Injectable({ providedIn: 'root' })
export class ThemeService {
  private readonly document = inject(DOCUMENT);
  private readonly query = this.document.defaultView?.matchMedia?.('(prefers-color-scheme: dark)');
  private readonly systemTheme = signal<Theme>(this.query?.matches ? 'dark' : 'light');
  private readonly chosen = signal<Theme | null>(readChoice(this.document));

  readonly theme = computed(() => this.chosen() ?? this.systemTheme());

  constructor() {
    this.query?.addEventListener('change', (event) => this.systemTheme.set(event.matches ? 'dark' : 'light'));
    effect(() => {
      const chosen = this.chosen();
      const root = this.document.documentElement;
      root.classList.toggle('theme-light', chosen === 'light');
      root.classList.toggle('theme-dark', chosen === 'dark');
    });
  }

  toggle(): void {
    const next: Theme = this.theme() === 'dark' ? 'light' : 'dark';
    // Picking what the system shows anyway goes back to following the system.
    this.chosen.set(next === this.systemTheme() ? null : next);
    try {
      if (this.chosen()) this.document.defaultView?.localStorage.setItem(STORAGE_KEY, next);
      else this.document.defaultView?.localStorage.removeItem(STORAGE_KEY);
    } catch {
      // Storage may be unavailable (private mode); the choice then lasts for this page only.
    }
  }
}

function readChoice(document: Document): Theme | null {
  try {
    const value = document.defaultView?.localStorage.getItem(STORAGE_KEY);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}
