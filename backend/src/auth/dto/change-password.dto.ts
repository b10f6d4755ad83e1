import { IsString, Length, MaxLength, MinLength } from 'class-validator';

export class ChangePasswordDto {
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  currentPassword: string;

  /** 8–128 characters. */
  @IsString()
  @Length(8, 128, { message: 'newPassword must be 8–128 characters long' })
  newPassword: string;
}
