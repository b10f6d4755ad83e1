import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { AttachmentsController } from './attachments.controller.js';
import { AttachmentsRepository } from './attachments.repository.js';
import { AttachmentsService } from './attachments.service.js';
import { FilePurgeService } from './file-purge.service.js';
import { UploadService } from './upload.service.js';
import { LocalStorage } from './storage/local-storage.js';
import { Storage } from './storage/storage.js';

/**
 * S3-compatible storage when S3_ENDPOINT is set, otherwise the local UPLOAD_DIR; checked at boot. The
 * AWS SDK, large once loaded, is imported only when S3 is used.
 */
async function createStorage(config: AppConfig): Promise<Storage> {
  const storage = config.S3_ENDPOINT
    ? new (await import('./storage/s3-storage.js')).S3Storage({
        endpoint: config.S3_ENDPOINT,
        bucket: config.S3_BUCKET!,
        accessKeyId: config.S3_ACCESS_KEY!,
        secretAccessKey: config.S3_SECRET_KEY!,
        region: config.S3_REGION,
        forcePathStyle: config.S3_FORCE_PATH_STYLE,
      })
    : new LocalStorage(config.UPLOAD_DIR);
  await storage.init();
  return storage;
}

@Module({
  controllers: [AttachmentsController],
  providers: [AttachmentsService, AttachmentsRepository, UploadService, FilePurgeService, { provide: Storage, useFactory: createStorage, inject: [AppConfig] }],
  exports: [AttachmentsService],
})
export class AttachmentsModule {}
