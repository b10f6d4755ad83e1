import { SessionLifecycleService } from '../auth/session-lifecycle.service.js';
import { Clock } from '../common/clock.js';
import type { AuthUser, TokenClaims } from '../common/current-user.decorator.js';
import { Transactions } from '../database/transaction.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { asRealtime, fakeRealtime } from '../../test/helpers/fake-realtime.js';
import { fakeTransactions, newTestService } from '../../test/helpers/new-test-service.js';
import { rejection } from '../../test/helpers/rejection.js';
import { E2eeRepository, type SyncRow } from './e2ee.repository.js';
import {
  E2eeService,
  MAX_TO_DEVICE_BYTES,
  MAX_TO_DEVICE_QUEUE,
  MAX_TO_DEVICE_QUEUE_PER_SENDER,
  SYNC_DEVICE_LIST_PAGE,
  SYNC_TO_DEVICE_PAGE,
} from './e2ee.service.js';
import type { StoredDeviceKeys } from './key-shapes.js';

const ALICE = 'aaaaaaaa-0000-4000-8000-000000000001';
const BOB = 'bbbbbbbb-0000-4000-8000-000000000002';
const ALICE_DEVICE = 'aaaaaaaa-1111-4000-8000-000000000001';
const ALICE_OTHER_DEVICE = 'aaaaaaaa-2222-4000-8000-000000000001';
const BOB_DEVICE = 'bbbbbbbb-1111-4000-8000-000000000002';
const alice: AuthUser = { id: ALICE, role: 'user', sessionId: ALICE_DEVICE };
const KEY = 'A'.repeat(43);
const SIGNATURE = 'S'.repeat(86);

const deviceKeys = (overrides: Partial<StoredDeviceKeys> = {}): StoredDeviceKeys => ({
  user_id: `@${ALICE}:iris`,
  device_id: ALICE_DEVICE,
  algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
  keys: { [`curve25519:${ALICE_DEVICE}`]: KEY, [`ed25519:${ALICE_DEVICE}`]: KEY },
  signatures: { [`@${ALICE}:iris`]: { [`ed25519:${ALICE_DEVICE}`]: SIGNATURE } },
  ...overrides,
});

function setup() {
  const transactions = fakeTransactions();
  const realtime = fakeRealtime();
  const built = newTestService(E2eeService, [
    [Transactions, transactions],
    [Clock, new FakeClock(new Date('2030-01-01T00:00:00Z'))],
    [RealtimeService, asRealtime(realtime)],
  ]);
  const repo = built.mock(E2eeRepository);
  repo.lockDevices.mockResolvedValue(undefined);
  built.mock(SessionLifecycleService).isSessionOpen.mockResolvedValue(true);
  repo.contacts.mockResolvedValue([{ user_id: BOB, blocked: false }]);
  repo.devicesOf.mockImplementation(async (userIds) =>
    [
      { session_id: ALICE_DEVICE, user_id: ALICE, device_keys: deviceKeys() },
      { session_id: ALICE_OTHER_DEVICE, user_id: ALICE, device_keys: deviceKeys() },
      { session_id: BOB_DEVICE, user_id: BOB, device_keys: deviceKeys() },
    ].filter((row) => userIds.includes(row.user_id)),
  );
  repo.countOneTimeKeys.mockResolvedValue(0);
  repo.announce.mockResolvedValue(undefined);
  repo.announceChange.mockImplementation(async (_tx, _userId, except) => [ALICE_DEVICE, ALICE_OTHER_DEVICE, BOB_DEVICE].filter((id) => !except.includes(id)));
  repo.sendToDevice.mockResolvedValue({ outcome: 'sent', recipients: [] });
  return { sut: built.sut, repo, realtime, transactions, auth: built.mock(SessionLifecycleService) };
}

describe(E2eeService.name, () => {
  describe('uploadKeys', () => {
    it("refuses another device's or user's keys before opening a transaction", async () => {
      const { sut, transactions } = setup();
      for (const keys of [deviceKeys({ device_id: BOB_DEVICE }), deviceKeys({ user_id: `@${BOB}:iris` })]) {
        const error = await rejection(sut.uploadKeys(alice, { device_keys: keys }));
        expect([error.getStatus(), (error.getResponse() as { code: string }).code]).toEqual([403, 'DEVICE_KEYS_NOT_OWN']);
      }
      expect(transactions.run).not.toHaveBeenCalled();
    });

    it('stores the first device keys and tells the contacts and the other own devices, after the commit', async () => {
      const { sut, repo, realtime } = setup();
      repo.deviceKeysOf.mockResolvedValue(null);
      await sut.uploadKeys(alice, { device_keys: { ...deviceKeys(), unsigned: { device_display_name: 'x' } } });
      expect(repo.insertDevice).toHaveBeenCalledWith(expect.anything(), expect.objectContaining({ sessionId: ALICE_DEVICE, deviceKeys: deviceKeys() }));
      expect(repo.announceChange).toHaveBeenCalledWith(expect.anything(), ALICE, [ALICE_DEVICE], expect.any(Date));
      expect(realtime.e2eeSync).toHaveBeenCalledWith([ALICE_OTHER_DEVICE, BOB_DEVICE]);
    });

    it('refuses keys of a session that ended while the upload waited (401 SESSION_REVOKED)', async () => {
      const { sut, repo, auth } = setup();
      auth.isSessionOpen.mockResolvedValue(false);
      const error = await rejection(sut.uploadKeys(alice, { device_keys: deviceKeys() }));
      expect([error.getStatus(), (error.getResponse() as { code: string }).code]).toEqual([401, 'SESSION_REVOKED']);
      expect(repo.lockDevices.mock.invocationCallOrder[0]).toBeLessThan(auth.isSessionOpen.mock.invocationCallOrder[0]);
      expect(repo.insertDevice).not.toHaveBeenCalled();
    });

    it('accepts the same keys again (in any key order) and refuses other ones with 409', async () => {
      const { sut, repo } = setup();
      const stored = deviceKeys();
      repo.deviceKeysOf.mockResolvedValue({ signatures: stored.signatures, keys: stored.keys, algorithms: stored.algorithms, device_id: ALICE_DEVICE, user_id: stored.user_id });
      await sut.uploadKeys(alice, { device_keys: deviceKeys() });
      expect(repo.insertDevice).not.toHaveBeenCalled();
      expect(repo.announce).not.toHaveBeenCalled();
      const other = deviceKeys({ keys: { [`curve25519:${ALICE_DEVICE}`]: 'B'.repeat(43), [`ed25519:${ALICE_DEVICE}`]: KEY } });
      const error = await rejection(sut.uploadKeys(alice, { device_keys: other }));
      expect([error.getStatus(), (error.getResponse() as { code: string }).code]).toEqual([409, 'DEVICE_KEYS_IMMUTABLE']);
    });
  });

  describe('sendToDevice', () => {
    const claims: TokenClaims = { userId: ALICE, sessionId: ALICE_DEVICE, tokenVersion: 3 };
    const messages = (content: Record<string, unknown>, user = BOB) => ({ messages: { [`@${user}:iris`]: { '*': content } } });

    it('refuses a payload over 64 KiB with 413, even when the body limit lets it through', async () => {
      const { sut, repo } = setup();
      const error = await rejection(sut.sendToDevice(claims, 'm.room.encrypted', 't1', messages({ c: 'x'.repeat(MAX_TO_DEVICE_BYTES) })));
      expect([error.getStatus(), (error.getResponse() as { code: string }).code]).toEqual([413, 'TO_DEVICE_TOO_LARGE']);
      expect(repo.sendToDevice).not.toHaveBeenCalled();
    });

    it('runs e2ee_send_to_device once, with the session of the token, the targets in request order and the queue caps, and no transaction', async () => {
      const { sut, repo, transactions } = setup();
      await sut.sendToDevice(claims, 'm.room.encrypted', 't1', { messages: { [`@${ALICE}:iris`]: { '*': { n: 1 } }, [`@${BOB}:iris`]: { [BOB_DEVICE]: { n: 2 }, '*': { n: 3 } } } });
      expect(repo.sendToDevice).toHaveBeenCalledTimes(1);
      expect(repo.sendToDevice).toHaveBeenCalledWith({
        sessionId: ALICE_DEVICE,
        userId: ALICE,
        tokenVersion: 3,
        now: new Date('2030-01-01T00:00:00Z'),
        txnId: 't1',
        eventType: 'm.room.encrypted',
        targets: [
          { userId: ALICE, deviceId: '*', content: { n: 1 } },
          { userId: BOB, deviceId: BOB_DEVICE, content: { n: 2 } },
          { userId: BOB, deviceId: '*', content: { n: 3 } },
        ],
        queueCap: MAX_TO_DEVICE_QUEUE,
        senderCap: MAX_TO_DEVICE_QUEUE_PER_SENDER,
      });
      expect(transactions.run).not.toHaveBeenCalled();
    });

    it('wakes the devices that got a message, and nobody for a transaction id used before', async () => {
      const { sut, repo, realtime } = setup();
      repo.sendToDevice.mockResolvedValueOnce({ outcome: 'sent', recipients: [ALICE_OTHER_DEVICE, BOB_DEVICE] });
      await sut.sendToDevice(claims, 'm.room.encrypted', 't1', messages({}));
      expect(realtime.e2eeSync).toHaveBeenLastCalledWith([ALICE_OTHER_DEVICE, BOB_DEVICE]);
      repo.sendToDevice.mockResolvedValueOnce({ outcome: 'replayed', recipients: [] });
      await sut.sendToDevice(claims, 'm.room.encrypted', 't1', messages({}));
      expect(realtime.e2eeSync).toHaveBeenLastCalledWith([]);
    });

    it('passes null for a user id that is not one of ours, which e2ee_send_to_device refuses (403 RECIPIENT_NOT_ALLOWED)', async () => {
      const { sut, repo, realtime } = setup();
      repo.sendToDevice.mockResolvedValue({ outcome: 'RECIPIENT_NOT_ALLOWED' });
      const error = await rejection(sut.sendToDevice(claims, 'm.room.encrypted', 't1', { messages: { '@bob:matrix.org': { '*': {} } } }));
      expect([error.getStatus(), (error.getResponse() as { code: string }).code]).toEqual([403, 'RECIPIENT_NOT_ALLOWED']);
      expect(repo.sendToDevice.mock.calls[0][0].targets).toEqual([{ userId: null, deviceId: '*', content: {} }]);
      expect(realtime.e2eeSync).not.toHaveBeenCalled();
    });

    it('answers 401 SESSION_REVOKED when e2ee_send_to_device finds the session ended', async () => {
      const { sut, repo, realtime } = setup();
      repo.sendToDevice.mockResolvedValue({ outcome: 'SESSION_REVOKED' });
      const error = await rejection(sut.sendToDevice(claims, 'm.room.encrypted', 't1', messages({})));
      expect([error.getStatus(), (error.getResponse() as { code: string }).code]).toEqual([401, 'SESSION_REVOKED']);
      expect(realtime.e2eeSync).not.toHaveBeenCalled();
    });
  });

  describe('sync', () => {
    const claims: TokenClaims = { userId: ALICE, sessionId: ALICE_DEVICE, tokenVersion: 3 };
    const synced = (overrides: Partial<Extract<SyncRow, { outcome: 'synced' }>> = {}): SyncRow => ({
      outcome: 'synced',
      to_device_batch: null,
      to_device: [],
      to_device_more: false,
      changes_batch: null,
      changes: [],
      changes_more: false,
      one_time_key_count: 0,
      unused_fallback_key: false,
      ...overrides,
    });

    it('runs e2ee_sync once, with the session of the token, the acknowledged batches and the page sizes, and no transaction', async () => {
      const { sut, repo, transactions } = setup();
      repo.sync.mockResolvedValue(synced());
      await sut.sync(claims, '9_6');
      expect(repo.sync).toHaveBeenCalledTimes(1);
      expect(repo.sync).toHaveBeenCalledWith([ALICE_DEVICE, ALICE, 3, new Date('2030-01-01T00:00:00Z'), '9', '6', SYNC_TO_DEVICE_PAGE, SYNC_DEVICE_LIST_PAGE]);
      expect(transactions.run).not.toHaveBeenCalled();
    });

    it('acknowledges nothing without `since`', async () => {
      const { sut, repo } = setup();
      repo.sync.mockResolvedValue(synced());
      const answer = await sut.sync(claims, undefined);
      expect(repo.sync.mock.calls[0][0].slice(4, 6)).toEqual([null, null]);
      expect(answer.next_batch).toBe('0_0');
    });

    it('answers the batch that marked each page (or keeps the acknowledged one), and says when more waits', async () => {
      const { sut, repo } = setup();
      repo.sync.mockResolvedValue(
        synced({
          to_device_batch: '300',
          to_device: Array.from({ length: SYNC_TO_DEVICE_PAGE }, () => ({ event_type: 'm.dummy', sender_user_id: BOB, content: {} })),
          to_device_more: true,
          one_time_key_count: 7,
          unused_fallback_key: true,
        }),
      );
      const answer = await sut.sync(claims, '9_6');
      expect(answer).toMatchObject({
        next_batch: '300_6',
        limited: true,
        device_lists: { changed: [], left: [] },
        device_one_time_keys_count: { signed_curve25519: 7 },
        device_unused_fallback_key_types: ['signed_curve25519'],
      });
      expect(answer.to_device.events).toHaveLength(SYNC_TO_DEVICE_PAGE);
      expect(answer.to_device.events[0]).toEqual({ type: 'm.dummy', sender: `@${BOB}:iris`, content: {} });
    });

    it('splits the device-list page into changed and left users, in its order', async () => {
      const { sut, repo } = setup();
      const CAROL = 'cccccccc-0000-4000-8000-000000000003';
      repo.sync.mockResolvedValue(
        synced({
          changes_batch: '41',
          changes: [
            { user_id: BOB, kind: 'changed' },
            { user_id: CAROL, kind: 'left' },
            { user_id: ALICE, kind: 'changed' },
          ],
          changes_more: true,
        }),
      );
      const answer = await sut.sync(claims, '9_6');
      expect(answer).toMatchObject({
        next_batch: '9_41',
        limited: true,
        device_lists: { changed: [`@${BOB}:iris`, `@${ALICE}:iris`], left: [`@${CAROL}:iris`] },
        device_unused_fallback_key_types: [],
      });
    });

    it('answers 401 SESSION_REVOKED when e2ee_sync finds the session ended', async () => {
      const { sut, repo } = setup();
      repo.sync.mockResolvedValue({ outcome: 'SESSION_REVOKED' });
      const error = await rejection(sut.sync(claims, '9_6'));
      expect([error.getStatus(), (error.getResponse() as { code: string }).code]).toEqual([401, 'SESSION_REVOKED']);
    });

    it('refuses a since token it did not issue', async () => {
      const { sut, repo } = setup();
      for (const since of ['', 'abc', '1_', '-1_2', `${'9'.repeat(19)}_1`]) {
        const error = await rejection(sut.sync(claims, since));
        expect((error.getResponse() as { code: string }).code).toBe('INVALID_SINCE');
      }
      expect(repo.sync).not.toHaveBeenCalled();
    });
  });

  describe('sessionsEnded', () => {
    it('deletes the devices and announces to the contacts and the remaining own devices only after the commit', async () => {
      const { sut, repo, realtime, transactions } = setup();
      repo.deleteDevices.mockResolvedValue([{ session_id: ALICE_OTHER_DEVICE, user_id: ALICE }]);
      const after = await sut.sessionsEnded(transactions.tx, [{ userId: ALICE, sessionId: ALICE_OTHER_DEVICE }]);
      expect(repo.deleteDevices).toHaveBeenCalledWith(transactions.tx, [ALICE_OTHER_DEVICE]);
      expect(repo.announceChange).toHaveBeenCalledWith(transactions.tx, ALICE, [ALICE_OTHER_DEVICE], expect.any(Date));
      expect(realtime.e2eeSync).not.toHaveBeenCalled();
      after();
      expect(realtime.e2eeSync).toHaveBeenCalledWith([ALICE_DEVICE, BOB_DEVICE]);
    });

    it('announces nothing for sessions that never uploaded keys', async () => {
      const { sut, repo, transactions } = setup();
      repo.deleteDevices.mockResolvedValue([]);
      await sut.sessionsEnded(transactions.tx, [{ userId: ALICE, sessionId: ALICE_OTHER_DEVICE }]);
      expect(repo.announceChange).not.toHaveBeenCalled();
    });
  });
});

