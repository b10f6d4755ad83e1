import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'iris:isPublic';

/** Marks a route that needs no access token. Every other route does. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
