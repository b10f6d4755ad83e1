import { afterNextRender, DestroyRef, Directive, ElementRef, inject, input, output } from '@angular/core';

/**
 * Emits `appInView` with true when the element comes into view inside `appInViewRoot` (or the
 * viewport), `margin` pixels early, and false when it leaves: a sentinel for infinite scrolling.
 */
@Directive({ selector: '[appInView]' })
export class InView {
  readonly root = input<HTMLElement | null>(null, { alias: 'appInViewRoot' });
  readonly margin = input(0, { alias: 'appInViewMargin' });
  readonly inView = output<boolean>({ alias: 'appInView' });

  constructor() {
    const element = inject<ElementRef<HTMLElement>>(ElementRef).nativeElement;
    const destroyRef = inject(DestroyRef);
    afterNextRender(() => {
      if (typeof IntersectionObserver === 'undefined') return;
      const margin = `${this.margin()}px`;
      const observer = new IntersectionObserver((entries) => this.inView.emit(entries[entries.length - 1].isIntersecting), {
        root: this.root(),
        rootMargin: `${margin} 0px ${margin} 0px`,
      });
      observer.observe(element);
      destroyRef.onDestroy(() => observer.disconnect());
    });
  }
}
