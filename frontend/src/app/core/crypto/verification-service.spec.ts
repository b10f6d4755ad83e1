import 'fake-indexeddb/auto';
import { EnvironmentInjector, Injector, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { ensureCrossSigning } from './cross-signing';
import { CryptoService } from './crypto-service';
import { DeviceCrypto } from './device-crypto';
import { InMemoryE2eeServer, MemoryStorage } from './e2ee-transport.fixtures';
import { VerificationService } from './verification-service';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const CAROL = '44444444-4444-4444-8444-444444444444';

/** Emoji verification between real OlmMachines (in Node) over the in-memory server, one VerificationService per device. */
describe('VerificationService', () => {
  let server: InMemoryE2eeServer;
  const started: CryptoService[] = [];

  interface Device {
    crypto: CryptoService;
    sut: VerificationService;
  }

  async function device(userId: string, deviceId: string): Promise<Device> {
    const crypto = await CryptoService.start({ transport: server.transport(userId, deviceId), storage: new MemoryStorage(), persistent: false });
    started.push(crypto);
    await ensureCrossSigning(crypto.internals);
    const injector = Injector.create({
      providers: [VerificationService, { provide: DeviceCrypto, useValue: { service: signal(crypto), ready: async () => crypto } }],
      parent: TestBed.inject(EnvironmentInjector),
    });
    return { crypto, sut: injector.get(VerificationService) };
  }

  /** What a shared conversation does: each machine knows the other user's devices. */
  async function acquaint(...devices: Device[]): Promise<void> {
    for (const d of devices) {
      const { wasm, machine, pump } = d.crypto.internals;
      await machine.updateTrackedUsers(devices.map((other) => new wasm.UserId(other.crypto.userId)));
      await pump();
    }
  }

  /** A sync feeds the to-device events to the machine; the service reads them in an effect. */
  async function sync(...devices: Device[]): Promise<void> {
    for (const d of devices) {
      await d.crypto.sync();
      TestBed.tick();
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  beforeEach(() => {
    server = new InMemoryE2eeServer();
    server.connect(ALICE, BOB);
    server.connect(CAROL, BOB);
  });
  afterEach(() => {
    for (const service of started.splice(0)) service.close();
  });

  describe('a second incoming request', () => {
    it('is declined as busy while one is in progress: the one in progress goes on, the newcomer hears why', async () => {
      const alice = await device(ALICE, 'ALICE1');
      const bob = await device(BOB, 'BOB1');
      const carol = await device(CAROL, 'CAROL1');
      await acquaint(alice, bob, carol);

      await alice.sut.verifyUser(BOB);
      await sync(bob);
      await vi.waitFor(() => expect(bob.sut.current()?.phase).toBe('incoming'));
      const aliceFlow = bob.sut.current()!.flowId;

      await carol.sut.verifyUser(BOB);
      await sync(bob);
      expect(bob.sut.current()).toMatchObject({ flowId: aliceFlow, otherUserId: `@${ALICE}:iris`, phase: 'incoming' });
      await sync(carol);
      await vi.waitFor(() => expect(carol.sut.current()?.phase).toBe('cancelled'));
      expect(carol.sut.current()?.cancelReason).toContain('verifying with someone else');

      // Alice's verification carries on to the emoji, the same on both screens.
      await bob.sut.accept();
      for (let round = 0; round < 6 && !(alice.sut.current()?.phase === 'emoji' && bob.sut.current()?.phase === 'emoji'); round++) await sync(alice, bob);
      expect(alice.sut.current()?.phase).toBe('emoji');
      expect(bob.sut.current()?.phase).toBe('emoji');
      expect(bob.sut.current()?.emoji).toEqual(alice.sut.current()?.emoji);
      expect(bob.sut.current()?.emoji).toHaveLength(7);
    });

    it('is followed once the one before it has ended', async () => {
      const alice = await device(ALICE, 'ALICE1');
      const bob = await device(BOB, 'BOB1');
      const carol = await device(CAROL, 'CAROL1');
      await acquaint(alice, bob, carol);

      await alice.sut.verifyUser(BOB);
      await sync(bob);
      await vi.waitFor(() => expect(bob.sut.current()?.phase).toBe('incoming'));
      await bob.sut.cancel();

      await carol.sut.verifyUser(BOB);
      await sync(bob);
      await vi.waitFor(() => expect(bob.sut.current()).toMatchObject({ otherUserId: `@${CAROL}:iris`, phase: 'incoming' }));
      await sync(carol);
      expect(carol.sut.current()?.phase).toBe('waiting');
    });
  });

  describe('verifyOwnDevice', () => {
    it('asks that one device of the user, which sees a verification of its own user', async () => {
      const first = await device(ALICE, 'ALICE1');
      const second = await device(ALICE, 'ALICE2');
      await sync(first);

      await first.sut.verifyOwnDevice('ALICE2');
      await sync(second);
      await vi.waitFor(() => expect(second.sut.current()).toMatchObject({ self: true, phase: 'incoming' }));
      await second.sut.accept();
      for (let round = 0; round < 6 && !(first.sut.current()?.phase === 'emoji' && second.sut.current()?.phase === 'emoji'); round++) await sync(first, second);
      expect(second.sut.current()?.emoji).toEqual(first.sut.current()?.emoji);
    });

    it('refuses a device the server does not list', async () => {
      const first = await device(ALICE, 'ALICE1');
      await expect(first.sut.verifyOwnDevice('NOPE')).rejects.toThrow('no encryption keys');
    });
  });
});
