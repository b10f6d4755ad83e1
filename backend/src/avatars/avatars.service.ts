import { Injectable } from '@nestjs/common';
import { AttachmentsService } from '../attachments/attachments.service.js';
import type { IncomingFile } from '../attachments/upload.service.js';
import type { StoredObject } from '../attachments/storage/storage.js';
import { StorageNotFoundError } from '../attachments/storage/storage.js';
import { Transactions } from '../database/transaction.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { toUserDto, toUserSummaryDto, type UserDto } from '../users/dto/user.dto.js';
import { avatarNotFound } from '../users/errors.js';
import { UsersService } from '../users/users.service.js';

/** A picture to send, and whether it is the version the caller asked for (then it may be cached for good). */
export interface AvatarFile {
  avatarId: string;
  file: StoredObject;
}

/**
 * Profile pictures. The image work and the files are the attachments module's (the same decoder queue,
 * pixel cap and storage); the row's pointer is the users module's. Who may see one is the database
 * function `profile_visible`, so lists, this download and the change events agree.
 */
@Injectable()
export class AvatarsService {
  constructor(
    private readonly usersService: UsersService,
    private readonly attachmentsService: AttachmentsService,
    private readonly transactions: Transactions,
    private readonly realtime: RealtimeService,
  ) {}

  /** Stores a new picture and makes it the user's; the old one's files are deleted. */
  async set(userId: string, file: IncomingFile): Promise<UserDto> {
    let previous: string | null = null;
    await this.attachmentsService.uploadAvatar(userId, file, async (tx, avatarId) => {
      previous = await this.usersService.setAvatar(tx, userId, avatarId);
    });
    return this.changed(userId, previous);
  }

  /** Removes the picture (initials are shown again). Idempotent. */
  async remove(userId: string): Promise<UserDto> {
    const previous = await this.transactions.run((tx) => this.usersService.setAvatar(tx, userId, null));
    return this.changed(userId, previous);
  }

  /** The picture of `ownerId` if `viewerId` may see it; 404 alike for none and not allowed, so it tells nothing. */
  async find(viewerId: string, ownerId: string, admin: boolean, size: 'large' | 'small'): Promise<AvatarFile> {
    const avatarId = await this.usersService.visibleAvatar(viewerId, ownerId, admin);
    if (!avatarId) throw avatarNotFound();
    try {
      return { avatarId, file: await this.attachmentsService.readAvatar(avatarId, size) };
    } catch (error) {
      // Replaced a moment ago: the old files are going.
      if (error instanceof StorageNotFoundError) throw avatarNotFound();
      throw error;
    }
  }

  /** Removes the replaced files now, and tells everyone who sees the user. */
  private async changed(userId: string, previous: string | null): Promise<UserDto> {
    if (previous) await this.attachmentsService.purgeKeys(this.attachmentsService.avatarKeys(previous));
    const user = await this.usersService.getById(userId);
    this.realtime.userUpdated(await this.usersService.profileAudience(userId), toUserSummaryDto(user));
    return toUserDto(user);
  }
}
