import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export type Role = 'user' | 'admin';

/** Who is calling, as established by the access-token guard for this request. */
export interface AuthUser {
  id: string;
  role: Role;
  sessionId: string;
}

export type AuthenticatedRequest = FastifyRequest & { user?: AuthUser };

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser => context.switchToHttp().getRequest<AuthenticatedRequest>().user!,
);
