import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { UploadsStore } from './attachments/uploads-store';
import { Composer, type MessageEdit } from './composer';

describe('Composer', () => {
  let fixture: ComponentFixture<Composer>;
  let element: HTMLElement;
  let textarea: HTMLTextAreaElement;
  let sent: string[];
  let saved: MessageEdit[];

  const submit = () => element.querySelector<HTMLButtonElement>('button[type="submit"]')!;

  function type(value: string): void {
    textarea.value = value;
    textarea.dispatchEvent(new Event('input'));
    fixture.detectChanges();
  }

  function enter(): KeyboardEvent {
    const event = new KeyboardEvent('keydown', { key: 'Enter', cancelable: true });
    textarea.dispatchEvent(event);
    fixture.detectChanges();
    return event;
  }

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), UploadsStore] });
    fixture = TestBed.createComponent(Composer);
    fixture.componentRef.setInput('timerForNext', { seconds: null, mode: 'afterSend' });
    fixture.detectChanges();
    element = fixture.nativeElement as HTMLElement;
    textarea = element.querySelector('textarea')!;
    sent = [];
    saved = [];
    fixture.componentInstance.send.subscribe((text) => sent.push(text));
    fixture.componentInstance.save.subscribe((edit) => saved.push(edit));
  });

  it('sends only with text or files', () => {
    expect(element.classList).toContain('composer');
    expect(submit().disabled).toBe(true);
    fixture.componentRef.setInput('hasFiles', true);
    fixture.detectChanges();
    expect(submit().disabled).toBe(false);
  });

  it('sends on Enter and empties itself', () => {
    type('Hello');
    expect(enter().defaultPrevented).toBe(true);
    expect(sent).toEqual(['Hello']);
    expect(textarea.value).toBe('');
  });

  it('edits a message in place of a new one, until saved or cancelled with Escape', () => {
    fixture.componentInstance.startEdit('m1', 'Old');
    fixture.detectChanges();
    expect(textarea.value).toBe('Old');
    expect(element.textContent).toContain('Editing message');
    expect(submit().textContent?.trim()).toBe('Save');
    type('New');
    enter();
    expect(saved).toEqual([{ id: 'm1', body: 'New' }]);
    expect(sent).toEqual([]);

    fixture.componentInstance.startEdit('m2', 'Other');
    textarea.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    fixture.detectChanges();
    expect(textarea.value).toBe('');
    expect(element.textContent).not.toContain('Editing message');
  });

  it('is off, with the reason, once nobody can receive messages here', () => {
    fixture.componentRef.setInput('readOnly', 'peer-gone');
    fixture.detectChanges();
    expect(element.querySelector('[data-testid="peer-deleted"]')).not.toBeNull();
    expect(textarea.disabled).toBe(true);
    type('Anyone?');
    enter();
    expect(sent).toEqual([]);
  });

  it('says why it is read-only after a block, tells the blocked side only that it cannot reply, and opens again', () => {
    fixture.componentRef.setInput('peerName', 'Bob');
    fixture.componentRef.setInput('readOnly', 'blocked');
    fixture.detectChanges();
    expect(element.querySelector('[data-testid="read-only"]')?.textContent).toContain('You blocked Bob');
    expect(textarea.disabled).toBe(true);

    fixture.componentRef.setInput('readOnly', 'not-friends');
    fixture.detectChanges();
    expect(element.querySelector('[data-testid="read-only"]')?.textContent?.trim()).toBe("You can't reply to this conversation.");
    expect(element.textContent).not.toContain('block');

    fixture.componentRef.setInput('readOnly', null);
    fixture.detectChanges();
    expect(element.querySelector('[data-testid="read-only"]')).toBeNull();
    expect(textarea.disabled).toBe(false);
    type('Back again');
    enter();
    expect(sent).toEqual(['Back again']);
  });
});
