import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { type SectionBase, toBoolean, toInteger } from './section.js';

/** Where attachments are stored (a local directory or S3-compatible storage) and how large one may be. */
export function MediaSettings<TBase extends SectionBase>(Base: TBase) {
  class MediaSettings extends Base {
    /** Largest upload in MiB; enforced while the file streams in. */
    @Transform(toInteger)
    @IsInt()
    @Min(1)
    @Max(2048)
    MAX_UPLOAD_MB = 50;

    /** Directory of the local storage driver (used when S3_ENDPOINT is unset). */
    @IsString()
    UPLOAD_DIR = './data/uploads';

    /** S3-compatible storage (AWS S3, MinIO, …); setting S3_ENDPOINT turns it on and requires the bucket and keys. */
    @IsOptional()
    @Matches(/^https?:\/\/.+/, { message: 'S3_ENDPOINT must be an http:// or https:// URL' })
    S3_ENDPOINT?: string;

    @IsOptional()
    @IsString()
    S3_BUCKET?: string;

    @IsOptional()
    @IsString()
    S3_ACCESS_KEY?: string;

    @IsOptional()
    @IsString()
    S3_SECRET_KEY?: string;

    @IsString()
    S3_REGION = 'us-east-1';

    /** Path-style bucket addressing (http://host/bucket/key), which MinIO needs. */
    @Transform(toBoolean)
    @IsBoolean()
    S3_FORCE_PATH_STYLE = true;

    get maxUploadBytes(): number {
      return this.MAX_UPLOAD_MB * 1024 * 1024;
    }
  }
  return MediaSettings;
}
