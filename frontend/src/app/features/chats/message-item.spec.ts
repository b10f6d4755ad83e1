import { TestBed } from '@angular/core/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { MessageItem } from './message-item';
import { MessageDecryptor, type ShownContent } from './message-decryptor';
import { message } from './message.fixtures';
import type { ShownMessage } from './shown-message';

describe('MessageItem', () => {
  let fixture: ComponentFixture<MessageItem>;
  let element: HTMLElement;

  function render(entry: ShownMessage, inputs: { mine?: boolean; seen?: boolean } = {}): void {
    fixture = TestBed.createComponent(MessageItem);
    fixture.componentRef.setInput('entry', entry);
    fixture.componentRef.setInput('mine', inputs.mine ?? false);
    fixture.componentRef.setInput('seen', inputs.seen ?? false);
    fixture.detectChanges();
    element = fixture.nativeElement as HTMLElement;
  }

  const button = (label: string) => [...element.querySelectorAll('button')].find((item) => item.textContent?.trim() === label);

  it('shows the message on the side of who sent it, with its time and "Seen"', () => {
    render({ message: message({ body: 'Hello' }), state: 'sent' }, { mine: true, seen: true });
    expect(element.getAttribute('data-testid')).toBe('message');
    expect(element.classList).toContain('mine');
    expect(element.querySelector('.body')?.textContent).toBe('Hello');
    expect(element.querySelector('time')?.getAttribute('datetime')).toBe('2026-01-01T10:00:00.000Z');
    expect(element.querySelector('[data-testid="seen"]')?.textContent).toBe('Seen');
  });

  it('offers Edit and Delete on your own sent message, named after it', () => {
    render({ message: message({ body: 'Hello' }), state: 'sent' }, { mine: true });
    const edit = vi.fn();
    const remove = vi.fn();
    fixture.componentInstance.edit.subscribe(edit);
    fixture.componentInstance.remove.subscribe(remove);
    expect(button('Edit')?.getAttribute('aria-label')).toBe('Edit message: Hello');
    button('Edit')!.click();
    button('Delete')!.click();
    expect(edit).toHaveBeenCalledWith('Hello');
    expect(remove).toHaveBeenCalledTimes(1);
  });

  it('shows no actions on the peer\'s message, and a deleted one in words', () => {
    render({ message: message({ deleted: true, body: null }), state: 'sent' });
    expect(element.classList).not.toContain('mine');
    expect(element.textContent).toContain('Message deleted');
    expect(button('Edit')).toBeUndefined();
  });

  it('says when a message is on its way, and offers a retry once it failed', () => {
    render({ message: message({ senderId: 'u1' }), state: 'pending' }, { mine: true });
    expect(element.textContent).toContain('Sending…');
    expect(button('Edit')).toBeUndefined();

    render({ message: message({ senderId: 'u1' }), state: 'failed' }, { mine: true });
    const retry = vi.fn();
    fixture.componentInstance.retry.subscribe(retry);
    expect(element.querySelector('[role="alert"]')?.textContent).toContain('Not sent.');
    button('Retry')!.click();
    expect(retry).toHaveBeenCalledTimes(1);
  });

  describe('in an encrypted conversation', () => {
    const CIPHERTEXT = { algorithm: 'm.megolm.v1.aes-sha2' as const, ciphertext: 'AwgAEhAb', session_id: 'S1' };

    function decryptor(state: ShownContent): void {
      TestBed.configureTestingModule({ providers: [{ provide: MessageDecryptor, useValue: { contentOf: () => state, request: vi.fn() } }] });
    }

    it('shows the decrypted text and its files from the content', () => {
      decryptor({ kind: 'ok', content: { type: 'text', body: 'Secret plans' } });
      render({ message: message({ body: null, ciphertext: CIPHERTEXT }), state: 'sent' }, { mine: true });
      expect(element.querySelector('.body')?.textContent).toBe('Secret plans');
      expect(button('Edit')?.getAttribute('aria-label')).toBe('Edit message: Secret plans');
    });

    it('says why a message cannot be read instead of a blank bubble, and offers no edit of it', () => {
      decryptor({ kind: 'undecryptable', reason: 'no-key', message: 'Sent before this device signed in' });
      render({ message: message({ body: null, ciphertext: CIPHERTEXT }), state: 'sent' }, { mine: true });
      expect(element.querySelector('[data-testid="undecryptable"]')?.textContent).toBe('Sent before this device signed in');
      expect(button('Edit')).toBeUndefined();
      expect(button('Delete')).toBeDefined();
    });
  });
});
