import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'iris:isPublic';

/** Marks a route that needs no access token. Every other route does. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const SESSION_CHECKED_BY_HANDLER = 'iris:sessionCheckedByHandler';

/**
 * Marks a route whose one statement checks the session itself, saving the session lookup's round
 * trip on the hottest routes (a send, an E2EE sync): the guard verifies the token only and hands the
 * handler its claims (@CurrentClaims). The handler must refuse with SESSION_REVOKED, exactly as the
 * guard would, before it reads or writes anything. The token attacks test (test/token-attacks) runs every attack on it.
 */
export const SessionCheckedByHandler = () => SetMetadata(SESSION_CHECKED_BY_HANDLER, true);
