import { inject, Injectable, signal, type Signal } from '@angular/core';
import { Api } from '../../sdk/api';
import { avatarsGetAvatar } from '../../sdk/fn/users/avatars-get-avatar';

export type AvatarSize = 'large' | 'small';

/** Whose picture, in which version: a new picture has a new version, so a key's image never changes. */
export interface AvatarOwner {
  id: string;
  avatarVersion: string | null;
}

/** Pictures kept at most; the oldest go first (their object URLs are revoked). */
const MAX_KEPT = 300;

/**
 * Profile pictures as object URLs, fetched once per owner, version and size through the SDK (the request
 * carries the access token, so an `<img src>` could not fetch it; the browser's cache keeps the bytes,
 * which the server marks immutable under their version). A picture that cannot be loaded stays null: initials show.
 */
@Injectable({ providedIn: 'root' })
export class AvatarImages {
  private readonly api = inject(Api);
  private readonly urls = new Map<string, ReturnType<typeof signal<string | null>>>();

  /** The picture's object URL once loaded; null before, and for good when it could not be. */
  url(owner: AvatarOwner, size: AvatarSize): Signal<string | null> {
    if (!owner.avatarVersion) return signal(null);
    const key = `${owner.id}/${owner.avatarVersion}/${size}`;
    let url = this.urls.get(key);
    if (url) {
      // Most recently used last.
      this.urls.delete(key);
      this.urls.set(key, url);
      return url;
    }
    url = signal<string | null>(null);
    this.urls.set(key, url);
    this.trim();
    const target = url;
    this.api.invoke(avatarsGetAvatar, { id: owner.id, v: owner.avatarVersion, size }).then(
      (blob) => target.set(URL.createObjectURL(blob)),
      () => undefined,
    );
    return url;
  }

  private trim(): void {
    for (const [key, url] of this.urls) {
      if (this.urls.size <= MAX_KEPT) return;
      this.urls.delete(key);
      const shown = url();
      if (shown) URL.revokeObjectURL(shown);
    }
  }
}
