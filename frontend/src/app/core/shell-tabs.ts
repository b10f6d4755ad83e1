import { InjectionToken, type Provider, type Signal } from '@angular/core';

/** A main section in the shell's top bar, with an optional count beside its name. */
export interface ShellTab {
  path: string;
  label: string;
  badge?: number;
  badgeLabel?: string;
}

/** The tabs the features add, in order; a null tab is hidden. */
export const SHELL_TABS = new InjectionToken<readonly Signal<ShellTab | null>[]>('SHELL_TABS');

/** Adds a tab to the shell. `tab` runs in an injection context, so a feature may read its own state. */
export function provideShellTab(tab: () => Signal<ShellTab | null>): Provider {
  return { provide: SHELL_TABS, multi: true, useFactory: tab };
}
