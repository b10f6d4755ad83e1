import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';

/** A round badge with someone's initials, its colour derived from the name. */
@Component({
  selector: 'app-avatar',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `{{ initials() }}`,
  host: {
    'aria-hidden': 'true',
    '[class.small]': "size() === 'small'",
    '[class.unknown]': '!name()',
    '[style.--avatar-hue]': 'hue()',
  },
  styles: `
    :host { flex: none; display: inline-grid; place-items: center; width: 44px; height: 44px; border-radius: 50%;
      font: 500 16px/1 system-ui, sans-serif; letter-spacing: 0.02em; user-select: none;
      background: hsl(var(--avatar-hue) 55% 82%); color: hsl(var(--avatar-hue) 60% 22%); }
    :host-context(.theme-dark) { background: hsl(var(--avatar-hue) 35% 32%); color: hsl(var(--avatar-hue) 70% 90%); }
    @media (prefers-color-scheme: dark) {
      :host-context(html:not(.theme-light)) { background: hsl(var(--avatar-hue) 35% 32%); color: hsl(var(--avatar-hue) 70% 90%); }
    }
    :host(.small) { width: 32px; height: 32px; font-size: 13px; }
    :host(.unknown) { background: var(--mat-sys-surface-variant); color: var(--mat-sys-on-surface-variant); }
  `,
})
export class Avatar {
  /** The display name; empty or null for someone unknown (an erased account). */
  readonly name = input<string | null | undefined>();
  readonly size = input<'normal' | 'small'>('normal');

  protected readonly initials = computed(() => initialsOf(this.name()));
  protected readonly hue = computed(() => hueOf(this.name() ?? ''));
}

export function initialsOf(name: string | null | undefined): string {
  const words = (name ?? '').trim().split(/[\s._-]+/u).filter(Boolean);
  if (words.length === 0) return '?';
  const letters = words.length === 1 ? [...words[0]].slice(0, 2) : [[...words[0]][0], [...words[words.length - 1]][0]];
  return letters.join('').toUpperCase();
}

function hueOf(name: string): number {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)!) % 360;
  return hash;
}
