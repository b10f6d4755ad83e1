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

  it('lays out each message in the direction of its own text (Arabic and Hebrew right to left)', () => {
    render({ message: message({ body: 'مرحبا بك' }), state: 'sent' });
    expect(element.querySelector('.body')?.getAttribute('dir')).toBe('auto');
  });

  it('says why an unsent message was refused and offers Retry, Edit and Discard', () => {
    render({ message: message({ body: 'Hello', senderId: 'u1' }), state: 'failed', refused: true, reason: 'You are not friends with this person.' }, { mine: true });
    expect(element.querySelector('[data-testid="not-sent"]')?.textContent).toContain('Not sent. You are not friends with this person.');
    const retry = vi.fn();
    const resend = vi.fn();
    const discard = vi.fn();
    fixture.componentInstance.retry.subscribe(retry);
    fixture.componentInstance.resend.subscribe(resend);
    fixture.componentInstance.discard.subscribe(discard);
    button('Retry')!.click();
    button('Edit')!.click();
    button('Discard')!.click();
    expect(retry).toHaveBeenCalledTimes(1);
    expect(resend).toHaveBeenCalledWith('Hello');
    expect(discard).toHaveBeenCalledTimes(1);
  });

  const menuButton = () => element.querySelector<HTMLButtonElement>('[data-testid="message-actions"]');
  const menuItems = () => [...document.querySelectorAll<HTMLElement>('[role="menuitem"]')];
  const menuItem = (label: string) => menuItems().find((item) => item.textContent?.trim() === label);
  function openMenu(): string[] {
    menuButton()!.click();
    fixture.detectChanges();
    return menuItems().map((item) => item.textContent!.trim());
  }
  afterEach(() => document.querySelector('.cdk-overlay-container')?.replaceChildren());

  it('offers one menu on your own sent message: reply, react, copy, edit and delete, named after it', () => {
    render({ message: message({ body: 'Hello' }), state: 'sent' }, { mine: true });
    const edit = vi.fn();
    const remove = vi.fn();
    const reply = vi.fn();
    fixture.componentInstance.edit.subscribe(edit);
    fixture.componentInstance.remove.subscribe(remove);
    fixture.componentInstance.reply.subscribe(reply);
    expect(menuButton()?.getAttribute('aria-label')).toBe('More actions: Hello');
    // Out of the Tab order: the row is the stop.
    expect(menuButton()?.getAttribute('tabindex')).toBe('-1');
    expect(openMenu()).toEqual(['Reply', 'React', 'Copy text', 'Edit', 'Delete']);
    expect(document.querySelector('[role="menu"]')).not.toBeNull();
    menuItem('Edit')!.click();
    openMenu();
    menuItem('Delete')!.click();
    openMenu();
    menuItem('Reply')!.click();
    expect(edit).toHaveBeenCalledWith('Hello');
    expect(remove).toHaveBeenCalledTimes(1);
    expect(reply).toHaveBeenCalledTimes(1);
  });

  it("offers reply, react and copy on the peer's message, and the quick reactions under React", async () => {
    render({ message: message({ body: 'Hi' }), state: 'sent' });
    const react = vi.fn();
    fixture.componentInstance.react.subscribe(react);
    expect(openMenu()).toEqual(['Reply', 'React', 'Copy text']);
    menuItem('React')!.click();
    fixture.detectChanges();
    await fixture.whenStable();
    const emoji = [...document.querySelectorAll<HTMLElement>('.emoji')];
    expect(emoji.map((item) => item.textContent!.trim())).toEqual(['👍', '❤️', '😂', '😮', '😢', '🙏']);
    expect(emoji[0].getAttribute('aria-label')).toBe('React with 👍');
    emoji[0].click();
    expect(react).toHaveBeenCalledWith('👍');
  });

  it('opens the menu from the keyboard on the focused row, and Escape gives the focus back', async () => {
    render({ message: message({ body: 'Hi' }), state: 'sent' });
    fixture.componentRef.setInput('active', true);
    fixture.detectChanges();
    expect(element.getAttribute('tabindex')).toBe('0');
    element.focus();
    element.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    fixture.detectChanges();
    await fixture.whenStable();
    expect(menuItems().map((item) => item.textContent!.trim())).toContain('Reply');
    expect(document.activeElement?.getAttribute('role')).toBe('menuitem');
    document.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', keyCode: 27, bubbles: true }));
    fixture.detectChanges();
    await fixture.whenStable();
    expect(element.contains(document.activeElement)).toBe(true);
  });

  it('opens the menu on a right click (and a long press, which the browser reports the same way)', () => {
    render({ message: message({ body: 'Hi' }), state: 'sent' });
    const event = new MouseEvent('contextmenu', { bubbles: true, cancelable: true });
    element.dispatchEvent(event);
    fixture.detectChanges();
    expect(event.defaultPrevented).toBe(true);
    expect(menuItems().length).toBeGreaterThan(0);
  });

  it('shows the reactions with who reacted, and a click toggles that emoji', () => {
    render({ message: message({ body: 'Hi' }), state: 'sent' });
    const react = vi.fn();
    fixture.componentInstance.react.subscribe(react);
    fixture.componentRef.setInput('reactions', [
      { key: '👍', count: 2, names: ['Bob', 'You'], mine: 'r1', reacted: true },
      { key: '😂', count: 1, names: ['Bob'], mine: null, reacted: false },
    ]);
    fixture.detectChanges();
    const chips = [...element.querySelectorAll<HTMLButtonElement>('[data-testid="reaction"]')];
    expect(chips.map((chip) => chip.getAttribute('aria-label'))).toEqual(['👍 2: Bob, You. Remove your reaction', '😂 1: Bob. React with 😂']);
    expect(chips[0].getAttribute('aria-pressed')).toBe('true');
    expect(chips[0].title).toBe('Bob, You');
    chips[1].click();
    expect(react).toHaveBeenCalledWith('😂');
  });

  it("quotes a reply's target (or says it is gone), and a click asks to show it", () => {
    render({ message: message({ id: 'm2', body: 'Yes', relatesTo: 'm1' }), state: 'sent' });
    const jump = vi.fn();
    fixture.componentInstance.jump.subscribe(jump);
    fixture.componentRef.setInput('nameOf', (id: string) => (id === 'u2' ? 'Bob' : 'You'));
    fixture.componentRef.setInput('replyTo', { message: message({ body: 'Lunch   at noon?' }), state: 'sent' });
    fixture.detectChanges();
    const quote = () => element.querySelector<HTMLButtonElement>('[data-testid="reply-quote"]')!;
    expect(quote().textContent).toContain('Bob');
    expect(quote().textContent).toContain('Lunch at noon?');
    quote().click();
    expect(jump).toHaveBeenCalledTimes(1);
    fixture.componentRef.setInput('replyTo', { message: message({ body: null, deleted: true }), state: 'sent' });
    fixture.detectChanges();
    expect(quote().textContent?.trim()).toBe('Original message deleted');
    fixture.componentRef.setInput('replyTo', null);
    fixture.detectChanges();
    expect(quote().textContent?.trim()).toBe('Original message not available');
  });

  it("shows no actions on a deleted message, and says it in words", () => {
    render({ message: message({ deleted: true, body: null }), state: 'sent' });
    expect(element.classList).not.toContain('mine');
    expect(element.textContent).toContain('Message deleted');
    expect(menuButton()).toBeNull();
  });

  it('says when a message is on its way, and offers a retry once it failed', () => {
    render({ message: message({ senderId: 'u1' }), state: 'pending' }, { mine: true });
    expect(element.textContent).toContain('Sending…');
    expect(menuButton()).toBeNull();

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
      expect(openMenu()).toContain('Edit');
    });

    it('says why a message cannot be read instead of a blank bubble, and offers no edit of it', () => {
      decryptor({ kind: 'undecryptable', reason: 'no-key', message: 'Sent before this device signed in' });
      render({ message: message({ body: null, ciphertext: CIPHERTEXT }), state: 'sent' }, { mine: true });
      expect(element.querySelector('[data-testid="undecryptable"]')?.textContent).toBe('Sent before this device signed in');
      expect(openMenu()).toEqual(['Reply', 'React', 'Delete']);
    });
  });
});
