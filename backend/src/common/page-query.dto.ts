import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination.js';

export class PageLimitDto {
  /** How many items to return (1–100). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number = DEFAULT_PAGE_SIZE;
}

export class PageQueryDto extends PageLimitDto {
  /** `nextCursor` from the previous page. */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}
