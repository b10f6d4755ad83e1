import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import { type AvatarOwner, AvatarImages } from './avatar-images';

/**
 * A round badge: someone's profile picture when they have one the viewer may see, otherwise their
 * initials, coloured from the name. Decorative (the name is always written next to it).
 */
@Component({
  selector: 'app-avatar',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `@if (picture(); as src) {
      <img [src]="src" alt="" />
    } @else {
      {{ initials() }}
    }`,
  host: {
    'aria-hidden': 'true',
    '[class.small]': "size() === 'small'",
    '[class.large]': "size() === 'large'",
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
    img { width: 100%; height: 100%; border-radius: 50%; object-fit: cover; display: block; }
    :host(.large) { width: 96px; height: 96px; font-size: 32px; }
    :host(.unknown) { background: var(--mat-sys-surface-variant); color: var(--mat-sys-on-surface-variant); }
  `,
})
export class Avatar {
  /** The display name; empty or null for someone unknown (an erased account). */
  readonly name = input<string | null | undefined>();
  readonly size = input<'normal' | 'small' | 'large'>('normal');
  /** Whose picture to show (its `avatarVersion`); initials without one. */
  readonly user = input<AvatarOwner | null | undefined>();

  private readonly images = inject(AvatarImages);
  /** 64 px for the list sizes (44 px at 2× would want 88: the 256 px one then). */
  protected readonly picture = computed(() => {
    const user = this.user();
    if (!user?.avatarVersion) return null;
    return this.images.url(user, this.size() === 'small' && devicePixelRatio <= 1.5 ? 'small' : 'large')();
  });
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
