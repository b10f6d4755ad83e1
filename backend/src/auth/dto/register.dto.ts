import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

export const USERNAME_PATTERN = /^[a-z0-9_.]{3,32}$/;

export class RegisterDto {
  /** 3–32 characters of `a-z 0-9 _ .`; upper case is folded to lower case. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3–32 characters of a-z, 0-9, _ and .' })
  username: string;

  /** 8–128 characters; any characters are allowed. */
  @IsString()
  @Length(8, 128, { message: 'password must be 8–128 characters long' })
  password: string;

  /** Shown to others instead of the username; defaults to the username. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 64)
  displayName?: string;
}
