import 'fake-indexeddb/auto';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { AuthStore } from '../auth-store';
import { DeviceCrypto, E2EE_TRANSPORT } from './device-crypto';
import { InMemoryE2eeServer } from './e2ee-transport.fixtures';

const ALICE = '11111111-1111-4111-8111-111111111111';

describe('DeviceCrypto', () => {
  let user: ReturnType<typeof signal<{ id: string } | null>>;
  let server: InMemoryE2eeServer;

  function create(withTransport = true): DeviceCrypto {
    TestBed.configureTestingModule({
      providers: [
        { provide: AuthStore, useValue: { user } },
        ...(withTransport ? [{ provide: E2EE_TRANSPORT, useValue: server.transport(ALICE, 'D1') }] : []),
      ],
    });
    const sut = TestBed.inject(DeviceCrypto);
    TestBed.tick();
    return sut;
  }

  beforeEach(() => {
    user = signal<{ id: string } | null>(null);
    server = new InMemoryE2eeServer();
    localStorage.clear();
  });

  // A device left started keeps its passphrase and sync position: later specs expect empty storage.
  afterEach(() => localStorage.clear());

  it('starts the device’s crypto at sign-in and deletes its keys at sign-out', async () => {
    const sut = create();
    expect(await sut.ready()).toBeNull();

    user.set({ id: ALICE });
    TestBed.tick();
    const service = await sut.ready();

    expect(service?.deviceId).toBe('D1');
    expect(sut.service()).toBe(service);
    expect(localStorage.getItem('iris.e2ee.D1.passphrase')).not.toBeNull();

    const signOut = vi.spyOn(service!, 'signOut');
    user.set(null);
    TestBed.tick();
    await vi.waitFor(() => expect(signOut).toHaveBeenCalled());
    await signOut.mock.results[0].value;

    expect(sut.service()).toBeNull();
    expect(localStorage.getItem('iris.e2ee.D1.passphrase')).toBeNull();
  });

  it('does nothing until a transport is provided', async () => {
    const sut = create(false);

    user.set({ id: ALICE });
    TestBed.tick();

    expect(await sut.ready()).toBeNull();
    expect(server.log).toEqual([]);
  });

  it('tries again later when the server could not be reached', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const transport = server.transport(ALICE, 'D1');
      const whoami = vi.spyOn(transport, 'whoami').mockRejectedValueOnce(new Error('offline'));
      TestBed.configureTestingModule({ providers: [{ provide: AuthStore, useValue: { user } }, { provide: E2EE_TRANSPORT, useValue: transport }] });
      const sut = TestBed.inject(DeviceCrypto);
      user.set({ id: ALICE });
      TestBed.tick();

      expect(await sut.ready()).toBeNull();
      expect(sut.error()?.message).toBe('offline');
      await vi.advanceTimersByTimeAsync(10_000);

      expect((await sut.ready())?.deviceId).toBe('D1');
      expect(sut.error()).toBeNull();
      expect(whoami).toHaveBeenCalledTimes(2);
      await sut.service()!.signOut();
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the reason when the crypto cannot start', async () => {
    const sut = create();
    localStorage.setItem('iris.e2ee.D1.passphrase', 'x');
    const first = await (await import('./crypto-service')).CryptoService.start({ transport: server.transport(ALICE, 'D1') });
    first.close();
    localStorage.setItem('iris.e2ee.D1.passphrase', 'wrong');

    user.set({ id: ALICE });
    TestBed.tick();

    expect(await sut.ready()).toBeNull();
    expect(sut.error()).toMatchObject({ code: 'E2EE_STORE_UNREADABLE' });
  });
});
