import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Api } from '../../../sdk/api';
import { e2EeClaimKeys } from '../../../sdk/fn/e-2-ee/e-2-ee-claim-keys';
import { e2EeQueryKeys } from '../../../sdk/fn/e-2-ee/e-2-ee-query-keys';
import { e2EeSendToDevice } from '../../../sdk/fn/e-2-ee/e-2-ee-send-to-device';
import { e2EeSync } from '../../../sdk/fn/e-2-ee/e-2-ee-sync';
import { e2EeUploadKeys } from '../../../sdk/fn/e-2-ee/e-2-ee-upload-keys';
import { e2EeWhoami } from '../../../sdk/fn/e-2-ee/e-2-ee-whoami';
import { keyBackupGetKeys } from '../../../sdk/fn/e-2-ee/key-backup-get-keys';
import { Realtime } from '../realtime';
import { FakeRealtime } from '../realtime.fixtures';
import { DeviceCrypto } from './device-crypto';
import { E2eeWakeups, SdkE2eeTransport } from './sdk-e2ee-transport';

describe('SdkE2eeTransport', () => {
  let invoke: ReturnType<typeof vi.fn>;
  let realtime: FakeRealtime;

  function create(): SdkE2eeTransport {
    TestBed.configureTestingModule({
      providers: [
        { provide: Api, useValue: { invoke } },
        { provide: Realtime, useValue: realtime },
      ],
    });
    return TestBed.inject(SdkE2eeTransport);
  }

  beforeEach(() => {
    invoke = vi.fn();
    realtime = new FakeRealtime();
  });

  it('says wake-ups reach the device only while the socket is ready', () => {
    const sut = create();
    expect(sut.wakeupsLive()).toBe(true);
    realtime.status.set('connecting');
    expect(sut.wakeupsLive()).toBe(false);
  });

  it('passes the Matrix bodies to the generated functions untouched', async () => {
    const sut = create();
    invoke.mockResolvedValue({ one_time_key_counts: { signed_curve25519: 50 } });
    const upload = { device_keys: { user_id: '@u:iris' }, one_time_keys: {} };
    expect(await sut.keysUpload(upload)).toEqual({ one_time_key_counts: { signed_curve25519: 50 } });
    expect(invoke).toHaveBeenLastCalledWith(e2EeUploadKeys, { body: upload });

    invoke.mockResolvedValue({ device_keys: {}, failures: {} });
    await sut.keysQuery({ device_keys: { '@u:iris': [] } });
    expect(invoke).toHaveBeenLastCalledWith(e2EeQueryKeys, { body: { device_keys: { '@u:iris': [] } } });

    invoke.mockResolvedValue({ one_time_keys: {}, failures: {} });
    await sut.keysClaim({ one_time_keys: { '@u:iris': { D1: 'signed_curve25519' } } });
    expect(invoke).toHaveBeenLastCalledWith(e2EeClaimKeys, { body: { one_time_keys: { '@u:iris': { D1: 'signed_curve25519' } } } });

    invoke.mockResolvedValue({});
    await sut.sendToDevice('m.room.encrypted', 'txn-1', { messages: {} });
    expect(invoke).toHaveBeenLastCalledWith(e2EeSendToDevice, { eventType: 'm.room.encrypted', txnId: 'txn-1', body: { messages: {} } });

    invoke.mockResolvedValue({ user_id: '@u:iris', device_id: 'D1' });
    expect(await sut.whoami()).toEqual({ user_id: '@u:iris', device_id: 'D1' });
    expect(invoke).toHaveBeenLastCalledWith(e2EeWhoami);
  });

  it('syncs from the stored position (none at first) and passes `limited` through', async () => {
    const sut = create();
    const page = { next_batch: '7', limited: true, to_device: { events: [] }, device_lists: { changed: [], left: [] }, device_one_time_keys_count: {}, device_unused_fallback_key_types: [] };
    invoke.mockResolvedValue(page);

    const first = await sut.sync(null);
    expect(invoke).toHaveBeenLastCalledWith(e2EeSync, {});
    expect(first.limited).toBe(true);
    expect(first.next_batch).toBe('7');

    invoke.mockResolvedValue({ ...page, limited: false, next_batch: '9' });
    expect((await sut.sync('7')).limited).toBe(false);
    expect(invoke).toHaveBeenLastCalledWith(e2EeSync, { since: '7' });
  });

  it('reads the key backup a page at a time, passing the previous page’s next_batch', async () => {
    const sut = create();
    invoke.mockResolvedValue({ rooms: {}, next_batch: 'c1' });
    expect((await sut.backupGet('4')).next_batch).toBe('c1');
    expect(invoke).toHaveBeenLastCalledWith(keyBackupGetKeys, { version: '4', limit: 500 });

    invoke.mockResolvedValue({ rooms: {} });
    expect((await sut.backupGet('4', 'c1')).next_batch).toBeUndefined();
    expect(invoke).toHaveBeenLastCalledWith(keyBackupGetKeys, { version: '4', limit: 500, from: 'c1' });
  });

  it('rejects when the call fails, so the request stays queued in the machine', async () => {
    const sut = create();
    invoke.mockRejectedValue(new Error('offline'));
    await expect(sut.keysQuery({ device_keys: {} })).rejects.toThrow('offline');
  });
});

describe('E2eeWakeups', () => {
  it('syncs the running device on every e2ee.sync event and after each socket ready', () => {
    const realtime = new FakeRealtime();
    const sync = vi.fn().mockResolvedValue(undefined);
    const service = signal<{ sync: typeof sync } | null>(null);
    TestBed.configureTestingModule({
      providers: [
        { provide: Realtime, useValue: realtime },
        { provide: DeviceCrypto, useValue: { service } },
      ],
    });
    TestBed.inject(E2eeWakeups);

    realtime.serve('e2ee.sync', {});
    expect(sync).not.toHaveBeenCalled();

    service.set({ sync });
    realtime.serve('e2ee.sync', {});
    realtime.ready$.next({ userId: 'u', tokenExpiresAt: new Date().toISOString() });
    expect(sync).toHaveBeenCalledTimes(2);
  });
});
