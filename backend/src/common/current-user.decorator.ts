import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export type Role = 'user' | 'admin';

/** Who is calling, as established by the access-token guard for this request. */
export interface AuthUser {
  id: string;
  role: Role;
  sessionId: string;
}

/**
 * On a route marked @SessionCheckedByHandler: what the access token says, its signature and lifetime
 * verified. The session itself is not checked yet; the handler's statement checks it before it reads
 * or writes anything (messages.service `send`, e2ee.service `sync`).
 */
export interface TokenClaims {
  userId: string;
  sessionId: string;
  tokenVersion: number;
}

export type AuthenticatedRequest = FastifyRequest & { user?: AuthUser; claims?: TokenClaims };

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser => context.switchToHttp().getRequest<AuthenticatedRequest>().user!,
);

export const CurrentClaims = createParamDecorator(
  (_data: unknown, context: ExecutionContext): TokenClaims => context.switchToHttp().getRequest<AuthenticatedRequest>().claims!,
);
