import { IsOptional, IsString, MaxLength } from 'class-validator';

export class RefreshTokenDto {
  /** The refresh token; browsers leave it out and send the `iris_refresh` cookie instead. */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  refreshToken?: string;
}
