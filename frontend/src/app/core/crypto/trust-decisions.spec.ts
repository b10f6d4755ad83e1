import 'fake-indexeddb/auto';
import { ensureCrossSigning } from './cross-signing';
import { CryptoService } from './crypto-service';
import { InMemoryE2eeServer, MemoryStorage } from './e2ee-transport.fixtures';
import { matrixUserId } from './e2ee-transport';
import { acceptSendingProblems, sendingProblems, TrustProblemError } from './trust-decisions';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const CONVERSATION = '33333333-3333-4333-8333-333333333333';

/** Trust decisions with real OlmMachines (in Node) against the in-memory server: when a send is held back, and who gets keys. */
describe('trust decisions', () => {
  let server: InMemoryE2eeServer;
  const started: CryptoService[] = [];

  async function device(userId: string, deviceId: string): Promise<CryptoService> {
    const sut = await CryptoService.start({ transport: server.transport(userId, deviceId), storage: new MemoryStorage(), persistent: false });
    started.push(sut);
    return sut;
  }

  /** Bob verifies alice's identity (what a finished emoji verification leaves behind), and his machine sees it. */
  async function bobVerifiesAlice(bob: CryptoService): Promise<void> {
    const { wasm, machine, send, pump } = bob.internals;
    await machine.updateTrackedUsers([new wasm.UserId(matrixUserId(ALICE))]);
    await pump();
    await bob.sync();
    const identity = await machine.getIdentity(new wasm.UserId(matrixUserId(ALICE)));
    await send(await identity!.verify());
    await bob.sync();
  }

  const problemsOf = async (bob: CryptoService) => sendingProblems(bob.internals.wasm, bob.internals.machine, [matrixUserId(ALICE)]);
  const send = (from: CryptoService, body: string) => from.encrypt(CONVERSATION, [ALICE, BOB], { type: 'text', body });

  beforeEach(async () => {
    server = new InMemoryE2eeServer();
    server.connect(ALICE, BOB);
  });
  afterEach(() => {
    for (const service of started.splice(0)) service.close();
  });

  it('never holds a send back for a contact nobody verified, whatever devices they add', async () => {
    const alice = await device(ALICE, 'ALICE1');
    const bob = await device(BOB, 'BOB1');
    await ensureCrossSigning(alice.internals);
    await device(ALICE, 'ALICE2');
    await bob.sync();
    expect(await problemsOf(bob)).toEqual([]);
    await expect(send(bob, 'hello')).resolves.toBeDefined();
  });

  it('holds the send back when a device of a verified contact appears that their identity does not vouch for, and shares no key with it until bob accepts', async () => {
    const alice = await device(ALICE, 'ALICE1');
    const bob = await device(BOB, 'BOB1');
    await ensureCrossSigning(alice.internals);
    await ensureCrossSigning(bob.internals);
    await bobVerifiesAlice(bob);
    expect(await problemsOf(bob)).toEqual([]);
    await send(bob, 'before');

    // Another session of alice's (or the server) adds a device that alice never verified.
    const foreign = await device(ALICE, 'FOREIGN');
    await bob.sync();
    expect(await problemsOf(bob)).toEqual([{ kind: 'unverified-device', userId: matrixUserId(ALICE), deviceIds: ['FOREIGN'] }]);
    const sent = server.log.length;
    await expect(send(bob, 'held back')).rejects.toBeInstanceOf(TrustProblemError);
    expect(server.log.slice(sent).filter((entry) => entry.includes('sendToDevice'))).toEqual([]);

    await acceptSendingProblems(bob.internals.wasm, bob.internals.machine, await problemsOf(bob));
    expect(await problemsOf(bob)).toEqual([]);
    await send(bob, 'after bob said so');
    await foreign.sync();
    expect(foreign.keysUpdated()).toBeGreaterThan(0);
  });

  it('does not warn about a new device of alice that her identity signed', async () => {
    const alice = await device(ALICE, 'ALICE1');
    const bob = await device(BOB, 'BOB1');
    await ensureCrossSigning(alice.internals);
    await ensureCrossSigning(bob.internals);
    await bobVerifiesAlice(bob);
    await device(ALICE, 'ALICE2');
    await alice.sync();
    const { wasm, machine, send: sendAsAlice } = alice.internals;
    const second = await machine.getDevice(new wasm.UserId(matrixUserId(ALICE)), new wasm.DeviceId('ALICE2'));
    await sendAsAlice(await second!.verify());
    await bob.sync();
    expect(await problemsOf(bob)).toEqual([]);
  });

  it('warns when a verified contact’s identity changes, until bob takes the new one as it is', async () => {
    const alice = await device(ALICE, 'ALICE1');
    const bob = await device(BOB, 'BOB1');
    await ensureCrossSigning(alice.internals);
    await ensureCrossSigning(bob.internals);
    await bobVerifiesAlice(bob);

    const reset = await alice.internals.machine.bootstrapCrossSigning(true);
    await server.transport(ALICE, 'ALICE1').signingKeysUpload!({ ...JSON.parse(reset.uploadSigningKeysRequest.body), auth: { password: server.password } });
    await bob.sync();
    const problems = await problemsOf(bob);
    expect(problems).toEqual([{ kind: 'identity-changed', userId: matrixUserId(ALICE) }]);
    await expect(send(bob, 'held back')).rejects.toBeInstanceOf(TrustProblemError);

    await acceptSendingProblems(bob.internals.wasm, bob.internals.machine, problems);
    expect(await problemsOf(bob)).toEqual([]);
    await expect(send(bob, 'sent')).resolves.toBeDefined();
  });
});
