import { HttpErrorResponse } from '@angular/common/http';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { DeviceTrust } from '../../core/crypto/device-trust';
import { IdentityReset } from './identity-reset';

describe('IdentityReset', () => {
  let fixture: ComponentFixture<IdentityReset>;
  let element: HTMLElement;
  const trust = { resetIdentity: vi.fn<(password: string) => Promise<void>>() };
  const button = (name: string) => [...element.querySelectorAll('button')].find((candidate) => candidate.textContent?.trim() === name);

  beforeEach(async () => {
    trust.resetIdentity.mockReset();
    TestBed.configureTestingModule({ providers: [{ provide: DeviceTrust, useValue: trust }] });
    fixture = TestBed.createComponent(IdentityReset);
    element = fixture.nativeElement as HTMLElement;
    await fixture.whenStable();
    button('Reset your encryption identity…')!.click();
    await fixture.whenStable();
  });

  async function submitWith(password: string): Promise<void> {
    const input = element.querySelector<HTMLInputElement>('input[type=password]')!;
    input.value = password;
    input.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    element.querySelector('form')!.dispatchEvent(new Event('submit'));
    await fixture.whenStable();
  }

  it('asks for the current password before it resets anything', async () => {
    expect(element.querySelector('input[type=password]')).not.toBeNull();
    expect(button('Reset identity')!.disabled).toBe(true);
    expect(trust.resetIdentity).not.toHaveBeenCalled();
  });

  it('resets with the password and closes', async () => {
    trust.resetIdentity.mockResolvedValue(undefined);
    await submitWith('correct horse battery');
    expect(trust.resetIdentity).toHaveBeenCalledWith('correct horse battery');
    await vi.waitFor(async () => {
      await fixture.whenStable();
      expect(element.querySelector('form')).toBeNull();
    });
  });

  it('says so when the server refuses the password, and stays open', async () => {
    trust.resetIdentity.mockRejectedValue(
      new HttpErrorResponse({ status: 403, error: { code: 'WRONG_PASSWORD', message: 'That password is not right' } }),
    );
    await submitWith('wrong');
    await vi.waitFor(async () => {
      await fixture.whenStable();
      expect(element.querySelector('[role=alert]')?.textContent).toContain('That password is not right.');
    });
    expect(element.querySelector('form')).not.toBeNull();
  });
});
