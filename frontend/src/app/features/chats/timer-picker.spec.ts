import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { TimerSetting } from './expiry';
import { TimerPicker, type TimerScope } from './timer-picker';

@Component({
  imports: [TimerPicker],
  template: `<app-timer-picker [scope]="scope()" [value]="value()" [busy]="busy()" (picked)="picked.push($event)" (scopeChange)="scope.set($event)" (closed)="closed = closed + 1" />`,
})
class Host {
  readonly scope = signal<TimerScope>('message');
  readonly value = signal<TimerSetting>({ seconds: 3600, mode: 'afterSend' });
  readonly busy = signal(false);
  readonly picked: TimerSetting[] = [];
  closed = 0;
}

describe('TimerPicker', () => {
  function render() {
    const fixture = TestBed.createComponent(Host);
    fixture.detectChanges();
    const element = fixture.nativeElement as HTMLElement;
    const radio = (label: string) =>
      [...element.querySelectorAll('label')].find((item) => item.textContent?.trim() === label)!.querySelector('input') as HTMLInputElement;
    return { fixture, element, radio, host: fixture.componentInstance };
  }

  it('offers every timer as a radio and shows the current one checked', () => {
    const { element, radio } = render();
    const timers = [...element.querySelectorAll('fieldset')].find((set) => set.querySelector('legend')?.textContent === 'Timer')!;
    expect([...timers.querySelectorAll('label')].map((label) => label.textContent?.trim())).toEqual([
      'Off', '30 s', '5 min', '1 h', '8 h', '1 day', '1 week', '4 weeks',
    ]);
    expect(radio('1 h').checked).toBe(true);
    expect(radio('When sent').checked).toBe(true);
    expect(radio('Next message').checked).toBe(true);
  });

  it('emits the picked timer with the current mode, and the picked mode with the current timer', () => {
    const { radio, host } = render();
    radio('30 s').click();
    radio('When read').click();
    radio('Off').click();
    expect(host.picked).toEqual([
      { seconds: 30, mode: 'afterSend' },
      { seconds: 3600, mode: 'afterRead' },
      { seconds: null, mode: 'afterSend' },
    ]);
  });

  it('switches between the next message and the chat default, explaining each', () => {
    const { fixture, element, radio, host } = render();
    expect(element.textContent).toContain('Only the next message you send');
    radio('This chat').click();
    fixture.detectChanges();
    expect(host.scope()).toBe('default');
    expect(element.textContent).toContain('New messages from both of you');
  });

  it('cannot be changed while a change is being saved', () => {
    const { fixture, radio, host } = render();
    host.busy.set(true);
    fixture.detectChanges();
    expect(radio('30 s').matches(':disabled')).toBe(true);
    expect(radio('When read').matches(':disabled')).toBe(true);
    expect(radio('This chat').matches(':disabled')).toBe(false);
  });

  it('closes with Escape or the close button', () => {
    const { element, host } = render();
    element.querySelector('app-timer-picker')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    (element.querySelector('button[aria-label="Close timer settings"]') as HTMLButtonElement).click();
    expect(host.closed).toBe(2);
  });
});
