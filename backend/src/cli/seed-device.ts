import {
  CollectStrategy,
  DeviceId,
  DeviceLists,
  EncryptionSettings,
  HistoryVisibility,
  initAsync,
  type KeysClaimRequest,
  OlmMachine,
  type OutgoingRequest,
  RequestType,
  RoomId,
  type ToDeviceRequest,
  UserId,
} from '@matrix-org/matrix-sdk-crypto-wasm';
import type { INestApplicationContext } from '@nestjs/common';
import { AuthService } from '../auth/auth.service.js';
import type { AuthUser, TokenClaims } from '../common/current-user.decorator.js';
import type { EncryptedContentDto } from '../conversations/dto/message.dto.js';
import type { KeysClaimDto, KeysQueryDto, KeysUploadDto } from '../e2ee/dto/keys.dto.js';
import type { SendToDeviceDto } from '../e2ee/dto/to-device.dto.js';
import { E2eeService } from '../e2ee/e2ee.service.js';
import { toMatrixRoomId, toMatrixUserId } from '../e2ee/matrix-ids.js';

/** What a message says, inside its ciphertext: the web client's content shape (DESIGN.md §9). */
export interface SeedContent {
  type: 'text';
  body: string;
}

/**
 * A device the seed signs in for a user: a sign-in session and an OlmMachine in memory whose requests
 * go to E2eeService in-process, as the web client's go over HTTP. It exists to write a few encrypted
 * messages, then signs out, which deletes its keys and queues as any sign-out does; nothing keeps its
 * Megolm keys, so no device can read what it wrote.
 */
export class SeedDevice {
  private since: string | undefined;

  private constructor(
    private readonly auth: AuthService,
    private readonly e2ee: E2eeService,
    private readonly caller: AuthUser,
    /** Who sends, for MessagesService.send: the message's sender device is this session. */
    readonly claims: TokenClaims,
    private readonly olm: OlmMachine,
  ) {}

  /** Signs a device of `userId` in and publishes its keys. */
  static async signIn(app: INestApplicationContext, userId: string): Promise<SeedDevice> {
    await initAsync();
    const auth = app.get(AuthService);
    const { accessToken } = await auth.signInAsProcess(userId);
    const caller = await auth.authenticate(accessToken);
    const claims = await auth.verifyAccessToken(accessToken);
    const olm = await OlmMachine.initialize(new UserId(toMatrixUserId(userId)), new DeviceId(caller.sessionId));
    const device = new SeedDevice(auth, app.get(E2eeService), caller, claims, olm);
    try {
      await olm.updateTrackedUsers([new UserId(toMatrixUserId(userId))]);
      await device.pump();
    } catch (error) {
      await device.signOut();
      throw error;
    }
    return device;
  }

  /**
   * The Megolm `m.room.encrypted` content of `content` in a conversation, after sharing the room key
   * with every device of its members over Olm, as the web client does before each encrypt.
   */
  async encrypt(conversationId: string, memberIds: string[], content: SeedContent): Promise<EncryptedContentDto> {
    await this.sync();
    // The library consumes the UserId objects of an array: a fresh array for every call.
    const users = () => memberIds.map((id) => new UserId(toMatrixUserId(id)));
    const roomId = new RoomId(toMatrixRoomId(conversationId));
    await this.olm.updateTrackedUsers(users());
    await this.pump();
    const claim = await this.olm.getMissingSessions(users());
    if (claim) await this.send(claim);
    const settings = new EncryptionSettings();
    settings.historyVisibility = HistoryVisibility.Joined;
    settings.sharingStrategy = CollectStrategy.allDevices();
    for (const request of await this.olm.shareRoomKey(roomId, users(), settings)) await this.send(request);
    return JSON.parse(await this.olm.encryptRoomEvent(roomId, 'm.room.message', JSON.stringify(content))) as EncryptedContentDto;
  }

  /** Ends the machine and the sign-in: the server deletes the device's keys and queues with the session. */
  async signOut(): Promise<void> {
    this.olm.close();
    await this.auth.logout(undefined, this.caller);
  }

  private async sync(): Promise<void> {
    for (;;) {
      const answer = await this.e2ee.sync(this.claims, this.since);
      await this.olm.receiveSyncChanges(
        JSON.stringify(answer.to_device.events),
        new DeviceLists(
          answer.device_lists.changed.map((id) => new UserId(id)),
          answer.device_lists.left.map((id) => new UserId(id)),
        ),
        new Map(Object.entries(answer.device_one_time_keys_count)),
        new Set(answer.device_unused_fallback_key_types),
      );
      this.since = answer.next_batch;
      await this.pump();
      if (!answer.limited) return;
    }
  }

  private async pump(): Promise<void> {
    for (let round = 0; round < 10; round++) {
      const requests = await this.olm.outgoingRequests();
      if (requests.length === 0) return;
      for (const request of requests) await this.send(request);
    }
  }

  private async send(request: OutgoingRequest | KeysClaimRequest | ToDeviceRequest): Promise<void> {
    const body: unknown = JSON.parse(request.body);
    let answer: unknown;
    switch (request.type) {
      case RequestType.KeysUpload:
        answer = await this.e2ee.uploadKeys(this.caller, body as KeysUploadDto);
        break;
      case RequestType.KeysQuery:
        answer = await this.e2ee.queryKeys(this.caller, body as KeysQueryDto);
        break;
      case RequestType.KeysClaim:
        answer = await this.e2ee.claimKeys(this.caller, body as KeysClaimDto);
        break;
      case RequestType.ToDevice: {
        const { event_type: eventType, txn_id: txnId } = request as ToDeviceRequest;
        await this.e2ee.sendToDevice(this.claims, eventType, txnId, body as SendToDeviceDto);
        answer = {};
        break;
      }
      default:
        // Signature uploads and key backups have no route in Iris yet (the e2ee-trust issue).
        return;
    }
    await this.olm.markRequestAsSent(request.id!, request.type, JSON.stringify(answer));
  }
}
