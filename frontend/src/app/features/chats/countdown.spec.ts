import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Countdown } from './countdown';

@Component({
  imports: [Countdown],
  template: `<app-countdown [expiresAt]="expiresAt()" [expiresInSeconds]="seconds()" />`,
})
class Host {
  readonly expiresAt = signal<string | null>('2026-01-01T10:00:30.000Z');
  readonly seconds = signal(30);
}

describe('Countdown', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date('2026-01-01T10:00:00.000Z') }));
  afterEach(() => vi.useRealTimers());

  function render() {
    const fixture = TestBed.createComponent(Host);
    fixture.detectChanges();
    const element = () => fixture.nativeElement.querySelector('app-countdown') as HTMLElement;
    return { fixture, element };
  }

  it('counts down each second and says it in words for screen readers', () => {
    const { fixture, element } = render();
    expect(element().textContent?.trim()).toBe('30 s');
    expect(element().getAttribute('role')).toBe('timer');
    expect(element().getAttribute('aria-label')).toBe('Disappears in 30 seconds');
    vi.advanceTimersByTime(1000);
    fixture.detectChanges();
    expect(element().textContent?.trim()).toBe('29 s');
    vi.advanceTimersByTime(28_000);
    fixture.detectChanges();
    expect(element().textContent?.trim()).toBe('1 s');
    vi.advanceTimersByTime(5000);
    fixture.detectChanges();
    expect(element().textContent?.trim()).toBe('0 s');
  });

  it('says that an afterRead message disappears after it is read, until its clock starts', () => {
    const { fixture, element } = render();
    fixture.componentInstance.expiresAt.set(null);
    fixture.componentInstance.seconds.set(300);
    fixture.detectChanges();
    expect(element().textContent?.trim()).toBe('5 min after read');
    expect(element().getAttribute('aria-label')).toBe('Disappears 5 minutes after it is read');
    fixture.componentInstance.expiresAt.set('2026-01-01T10:05:00.000Z');
    fixture.detectChanges();
    expect(element().textContent?.trim()).toBe('5:00');
  });

  it('stops the shared clock when the last countdown goes', () => {
    const { fixture } = render();
    expect(vi.getTimerCount()).toBe(1);
    fixture.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });
});
