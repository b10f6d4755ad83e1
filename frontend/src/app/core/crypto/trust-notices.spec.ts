import 'fake-indexeddb/auto';
import { EnvironmentInjector, Injector, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { ensureCrossSigning } from './cross-signing';
import { CryptoService } from './crypto-service';
import { DeviceCrypto } from './device-crypto';
import { deleteDeviceStore, trustNoticesStoreName } from './device-store';
import { InMemoryE2eeServer, MemoryStorage } from './e2ee-transport.fixtures';
import { matrixUserId } from './e2ee-transport';
import { TRUST_NOTICES_INDEXED_DB, TrustNotices } from './trust-notices';
import { type VerificationView, VerificationService } from './verification-service';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';

/** The history notices, with real OlmMachines (in Node) and IndexedDB (fake-indexeddb). */
describe('TrustNotices', () => {
  let server: InMemoryE2eeServer;
  const started: CryptoService[] = [];
  const view = signal<VerificationView | null>(null);

  const injectors: { destroy(): void }[] = [];

  function notices(crypto: CryptoService): TrustNotices {
    const injector = Injector.create({
      providers: [
        TrustNotices,
        { provide: DeviceCrypto, useValue: { service: signal(crypto) } },
        { provide: VerificationService, useValue: { current: view } },
        { provide: TRUST_NOTICES_INDEXED_DB, useValue: indexedDB },
      ],
      parent: TestBed.inject(EnvironmentInjector),
    });
    injectors.push(injector);
    const sut = injector.get(TrustNotices);
    TestBed.tick();
    return sut;
  }

  async function device(userId: string, deviceId: string): Promise<CryptoService> {
    const crypto = await CryptoService.start({ transport: server.transport(userId, deviceId), storage: new MemoryStorage(), persistent: false });
    started.push(crypto);
    await ensureCrossSigning(crypto.internals);
    return crypto;
  }

  beforeEach(() => {
    server = new InMemoryE2eeServer();
    server.connect(ALICE, BOB);
    view.set(null);
  });
  afterEach(() => {
    for (const injector of injectors.splice(0)) injector.destroy();
    for (const service of started.splice(0)) service.close();
  });

  it('records a finished verification with a contact once, keeps it across a reload, and never one with an own device', async () => {
    const bob = await device(BOB, 'BOB1');
    const sut = notices(bob);
    view.set({ flowId: 'own', otherUserId: matrixUserId(BOB), self: true, phase: 'done', emoji: [] });
    TestBed.tick();
    view.set({ flowId: 'f1', otherUserId: matrixUserId(ALICE), self: false, phase: 'emoji', emoji: [] });
    TestBed.tick();
    view.set({ flowId: 'f1', otherUserId: matrixUserId(ALICE), self: false, phase: 'done', emoji: [] });
    TestBed.tick();
    await vi.waitFor(() => expect(sut.notices().map((n) => [n.id, n.peerId, n.kind])).toEqual([['f1', ALICE, 'verified']]));
    const at = sut.notices()[0].at;

    const reloaded = notices(bob);
    await vi.waitFor(() => expect(reloaded.notices()).toEqual([{ id: 'f1', peerId: ALICE, kind: 'verified', at }]));

    // Signing out deletes them with the device's keys.
    for (const injector of injectors.splice(0)) injector.destroy();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await deleteDeviceStore('BOB1', new MemoryStorage(), indexedDB);
    expect((await indexedDB.databases()).map((d) => d.name)).not.toContain(trustNoticesStoreName('BOB1'));
  });

  it('records that a verified contact’s identity changed when the sync brings the new one', async () => {
    const alice = await device(ALICE, 'ALICE1');
    const bob = await device(BOB, 'BOB2');
    const { wasm, machine, send, pump } = bob.internals;
    await machine.updateTrackedUsers([new wasm.UserId(matrixUserId(ALICE))]);
    await pump();
    await bob.sync();
    await send(await (await machine.getIdentity(new wasm.UserId(matrixUserId(ALICE))))!.verify());
    await bob.sync();
    const sut = notices(bob);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sut.notices()).toEqual([]);

    const reset = await alice.internals.machine.bootstrapCrossSigning(true);
    await server.transport(ALICE, 'ALICE1').signingKeysUpload!({ ...JSON.parse(reset.uploadSigningKeysRequest.body), auth: { password: server.password } });
    await bob.sync();
    TestBed.tick();
    await vi.waitFor(() => expect(sut.notices().map((n) => [n.peerId, n.kind])).toEqual([[ALICE, 'identity-changed']]));
    // Seen again after the next change: still one notice for this identity.
    await bob.sync();
    bob.devicesChanged.update((n) => n + 1);
    TestBed.tick();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sut.notices()).toHaveLength(1);
  });
});
