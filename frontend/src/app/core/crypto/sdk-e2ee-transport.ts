import { DestroyRef, type EnvironmentProviders, inject, Injectable, type Provider, provideAppInitializer } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { merge } from 'rxjs';
import { HttpErrorResponse } from '@angular/common/http';
import { Api } from '../../../sdk/api';
import { crossSigningUploadSignatures } from '../../../sdk/fn/e-2-ee/cross-signing-upload-signatures';
import { crossSigningUploadSigningKeys } from '../../../sdk/fn/e-2-ee/cross-signing-upload-signing-keys';
import { keyBackupCreateVersion } from '../../../sdk/fn/e-2-ee/key-backup-create-version';
import { keyBackupCurrentVersion } from '../../../sdk/fn/e-2-ee/key-backup-current-version';
import { keyBackupGetKeys } from '../../../sdk/fn/e-2-ee/key-backup-get-keys';
import { keyBackupPutKeys } from '../../../sdk/fn/e-2-ee/key-backup-put-keys';
import type { BackupKeysDto } from '../../../sdk/models/backup-keys-dto';
import type { BackupVersionCreateDto } from '../../../sdk/models/backup-version-create-dto';
import type { DeviceSigningUploadDto } from '../../../sdk/models/device-signing-upload-dto';
import { e2EeClaimKeys } from '../../../sdk/fn/e-2-ee/e-2-ee-claim-keys';
import { e2EeQueryKeys } from '../../../sdk/fn/e-2-ee/e-2-ee-query-keys';
import { e2EeSendToDevice } from '../../../sdk/fn/e-2-ee/e-2-ee-send-to-device';
import { e2EeSync } from '../../../sdk/fn/e-2-ee/e-2-ee-sync';
import { e2EeUploadKeys } from '../../../sdk/fn/e-2-ee/e-2-ee-upload-keys';
import { e2EeWhoami } from '../../../sdk/fn/e-2-ee/e-2-ee-whoami';
import type { KeysClaimDto } from '../../../sdk/models/keys-claim-dto';
import type { KeysQueryDto } from '../../../sdk/models/keys-query-dto';
import type { KeysUploadDto } from '../../../sdk/models/keys-upload-dto';
import type { SendToDeviceDto } from '../../../sdk/models/send-to-device-dto';
import { Realtime } from '../realtime';
import { DeviceCrypto, E2EE_TRANSPORT } from './device-crypto';
import { VerificationPrompter } from '../verification-dialog';
import { DeviceTrust } from './device-trust';
import { TrustNotices } from './trust-notices';
import type { E2eeBackupKeys, E2eeBackupVersion, E2eeSyncResponse, E2eeTransport, E2eeWhoami, MatrixJson } from './e2ee-transport';

/** Backed-up sessions read per request while restoring (the server's largest page is 1,000). */
const BACKUP_PAGE = 500;

/** `E2eeTransport` over the generated SDK: OlmMachine's Matrix JSON goes to the routes as it is. */
@Injectable({ providedIn: 'root' })
export class SdkE2eeTransport implements E2eeTransport {
  private readonly api = inject(Api);
  private readonly realtime = inject(Realtime);

  /** `E2eeWakeups` below syncs on every `e2ee.sync` event while the socket is ready. */
  wakeupsLive(): boolean {
    return this.realtime.ready();
  }

  async whoami(): Promise<E2eeWhoami> {
    const { user_id, device_id } = await this.api.invoke(e2EeWhoami);
    return { user_id, device_id };
  }

  async keysUpload(body: MatrixJson): Promise<MatrixJson> {
    return { ...(await this.api.invoke(e2EeUploadKeys, { body: body as unknown as KeysUploadDto })) };
  }

  async keysQuery(body: MatrixJson): Promise<MatrixJson> {
    return { ...(await this.api.invoke(e2EeQueryKeys, { body: body as unknown as KeysQueryDto })) };
  }

  async keysClaim(body: MatrixJson): Promise<MatrixJson> {
    return { ...(await this.api.invoke(e2EeClaimKeys, { body: body as unknown as KeysClaimDto })) };
  }

  async sendToDevice(eventType: string, txnId: string, body: MatrixJson): Promise<MatrixJson> {
    return { ...(await this.api.invoke(e2EeSendToDevice, { eventType, txnId, body: body as unknown as SendToDeviceDto })) };
  }

  async sync(since: string | null): Promise<E2eeSyncResponse> {
    return (await this.api.invoke(e2EeSync, since === null ? {} : { since })) as unknown as E2eeSyncResponse;
  }

  async signingKeysUpload(body: MatrixJson): Promise<MatrixJson> {
    return { ...(await this.api.invoke(crossSigningUploadSigningKeys, { body: body as DeviceSigningUploadDto })) };
  }

  async signaturesUpload(body: MatrixJson): Promise<MatrixJson> {
    return { ...(await this.api.invoke(crossSigningUploadSignatures, { body: body as Record<string, Record<string, MatrixJson>> })) };
  }

  async backupCreate(body: MatrixJson): Promise<{ version: string }> {
    return this.api.invoke(keyBackupCreateVersion, { body: body as unknown as BackupVersionCreateDto });
  }

  async backupCurrent(): Promise<E2eeBackupVersion | null> {
    try {
      return (await this.api.invoke(keyBackupCurrentVersion)) as unknown as E2eeBackupVersion;
    } catch (error) {
      if (error instanceof HttpErrorResponse && error.status === 404) return null;
      throw error;
    }
  }

  async backupPut(version: string, body: MatrixJson): Promise<MatrixJson> {
    return { ...(await this.api.invoke(keyBackupPutKeys, { version, body: body as unknown as BackupKeysDto })) };
  }

  async backupGet(version: string, from?: string): Promise<E2eeBackupKeys> {
    return (await this.api.invoke(keyBackupGetKeys, { version, limit: BACKUP_PAGE, ...(from ? { from } : {}) })) as unknown as E2eeBackupKeys;
  }
}

/**
 * Wakes the device's crypto: a sync on every `e2ee.sync` event (something waits for this device) and
 * after each socket `ready` (what was queued while the socket was away sends no event of its own).
 */
@Injectable({ providedIn: 'root' })
export class E2eeWakeups {
  constructor() {
    const device = inject(DeviceCrypto);
    const realtime = inject(Realtime);
    merge(realtime.on('e2ee.sync'), realtime.ready$)
      .pipe(takeUntilDestroyed(inject(DestroyRef)))
      // A failed sync leaves everything queued on the server; the next wake-up fetches it.
      .subscribe(() => void device.service()?.sync().catch(() => undefined));
  }
}

/** The E2EE API for the crypto core, the socket events that make it sync, and the device's trust and backup. */
export function provideE2ee(): (Provider | EnvironmentProviders)[] {
  return [
    { provide: E2EE_TRANSPORT, useExisting: SdkE2eeTransport },
    provideAppInitializer(() => {
      inject(E2eeWakeups);
      inject(DeviceTrust);
      inject(VerificationPrompter);
      inject(TrustNotices);
    }),
  ];
}
