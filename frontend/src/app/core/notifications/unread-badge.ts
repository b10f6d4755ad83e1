import { DOCUMENT } from '@angular/common';
import { effect, inject, Injectable, signal } from '@angular/core';

const ICON_SIZE = 64;

/**
 * The unread total in the tab: `(3) Chats · Iris` in the title and a red dot with the number on the
 * favicon. `page` is the route's own title (UnreadTitleStrategy sets it).
 */
@Injectable({ providedIn: 'root' })
export class UnreadBadge {
  private readonly document = inject(DOCUMENT);
  private readonly page = signal('Iris');
  private readonly count = signal(0);
  private plainIcon: string | null = null;
  readonly unread = this.count.asReadonly();

  constructor() {
    effect(() => {
      const unread = this.count();
      this.document.title = unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${this.page()}` : this.page();
    });
    effect(() => this.drawIcon(this.count()));
  }

  setPage(title: string): void {
    this.page.set(title);
  }

  setUnread(unread: number): void {
    this.count.set(Math.max(0, unread));
  }

  private drawIcon(unread: number): void {
    const link = this.document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (!link) return;
    this.plainIcon ??= link.href;
    if (unread === 0) {
      link.href = this.plainIcon;
      return;
    }
    const image = new Image();
    image.onload = () => {
      if (this.count() !== unread) return;
      const canvas = this.document.createElement('canvas');
      canvas.width = canvas.height = ICON_SIZE;
      const context = canvas.getContext('2d');
      if (!context) return;
      context.drawImage(image, 0, 0, ICON_SIZE, ICON_SIZE);
      context.fillStyle = '#d32f2f';
      context.beginPath();
      context.arc(ICON_SIZE * 0.7, ICON_SIZE * 0.3, ICON_SIZE * 0.3, 0, 2 * Math.PI);
      context.fill();
      context.fillStyle = '#fff';
      context.font = `bold ${ICON_SIZE * 0.38}px sans-serif`;
      context.textAlign = 'center';
      context.textBaseline = 'middle';
      context.fillText(unread > 9 ? '9+' : String(unread), ICON_SIZE * 0.7, ICON_SIZE * 0.32);
      link.href = canvas.toDataURL('image/png');
    };
    image.src = this.plainIcon;
  }
}
