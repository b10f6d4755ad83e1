import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { of } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { ShownMessage } from '../shown-message';
import { HeldMessages } from './held-messages';
import { Outbox } from './outbox';
import type { OutboxEntry } from './outbox-db';
import { UnsentWarning } from './unsent-warning';

describe('UnsentWarning', () => {
  function setUp(outboxEntries: number, held: number, answer: boolean) {
    const open = vi.fn(() => ({ afterClosed: () => of(answer) }));
    TestBed.configureTestingModule({
      providers: [
        { provide: Outbox, useValue: { entries: signal(Array.from({ length: outboxEntries }, () => ({}) as OutboxEntry)) } },
        { provide: HeldMessages, useValue: { all: signal(Array.from({ length: held }, () => ({}) as ShownMessage)) } },
        { provide: MatDialog, useValue: { open } },
      ],
    });
    return { sut: TestBed.inject(UnsentWarning), open };
  }

  it('lets signing out go ahead without asking when nothing is unsent', async () => {
    const { sut, open } = setUp(0, 0, false);
    expect(await sut.confirmSignOut()).toBe(true);
    expect(open).not.toHaveBeenCalled();
  });

  it('says how many messages would be lost, counting the outbox and those still held, and follows the answer', async () => {
    const { sut, open } = setUp(2, 1, false);
    expect(await sut.confirmSignOut()).toBe(false);
    expect(open).toHaveBeenCalledWith(expect.anything(), expect.objectContaining({
      data: {
        title: 'Sign out and lose unsent messages?',
        message: '3 messages have not been sent yet. Signing out deletes them from this device for good.',
        confirm: 'Sign out and lose 3',
      },
    }));
  });

  it('signs out when the user accepts losing it', async () => {
    const { sut } = setUp(1, 0, true);
    expect(await sut.confirmSignOut()).toBe(true);
  });
});
