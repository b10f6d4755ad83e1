import 'fake-indexeddb/auto';
import { ensureCrossSigning, resetCrossSigning, trustStatus } from './cross-signing';
import { CryptoService } from './crypto-service';
import { InMemoryE2eeServer, MemoryStorage } from './e2ee-transport.fixtures';
import { matrixUserId } from './e2ee-transport';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';

/** Cross-signing with real OlmMachines (in Node) against the in-memory server. */
describe('cross-signing', () => {
  let server: InMemoryE2eeServer;
  const started: CryptoService[] = [];

  async function device(userId: string, deviceId: string): Promise<CryptoService> {
    const sut = await CryptoService.start({ transport: server.transport(userId, deviceId), storage: new MemoryStorage(), persistent: false });
    started.push(sut);
    return sut;
  }

  beforeEach(() => {
    server = new InMemoryE2eeServer();
    server.connect(ALICE, BOB);
  });
  afterEach(() => {
    for (const service of started.splice(0)) service.close();
  });

  describe('resetCrossSigning', () => {
    it('leaves the device as it was when the password is wrong', async () => {
      const first = await device(ALICE, 'ALICE1');
      await ensureCrossSigning(first.internals);
      const second = await device(ALICE, 'ALICE2');

      await expect(resetCrossSigning(second.internals, 'wrong')).rejects.toThrow('WRONG_PASSWORD');
      expect((await second.internals.machine.crossSigningStatus()).hasMaster).toBe(false);
      expect(await trustStatus(second.internals)).toMatchObject({ canSign: false, thisDeviceVerified: false });
    });

    it('makes a new identity that signs this device; a contact who verified the old one sees it changed', async () => {
      const first = await device(ALICE, 'ALICE1');
      const bob = await device(BOB, 'BOB1');
      await ensureCrossSigning(first.internals);
      await ensureCrossSigning(bob.internals);
      const { wasm, machine, send, pump } = bob.internals;
      await machine.updateTrackedUsers([new wasm.UserId(matrixUserId(ALICE))]);
      await pump();
      await bob.sync();
      await send(await (await machine.getIdentity(new wasm.UserId(matrixUserId(ALICE))))!.verify());
      await bob.sync();
      const second = await device(ALICE, 'ALICE2');

      await resetCrossSigning(second.internals, server.password);
      await second.sync();
      expect(await trustStatus(second.internals)).toMatchObject({ hasIdentity: true, canSign: true, thisDeviceVerified: true });
      await bob.sync();
      expect((await machine.getIdentity(new wasm.UserId(matrixUserId(ALICE))))?.hasVerificationViolation()).toBe(true);
    });
  });
});
