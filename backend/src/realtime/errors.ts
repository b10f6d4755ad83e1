import { HttpException } from '@nestjs/common';

/** The codes the socket layer answers with, in `connect_error`, the `error` event and acknowledgements. */
export type RealtimeErrorCode =
  | 'TOKEN_IN_QUERY'
  | 'UNAUTHORIZED'
  | 'TOKEN_EXPIRED'
  | 'SESSION_REVOKED'
  | 'RATE_LIMITED'
  | 'TOO_MANY_SOCKETS'
  | 'UNKNOWN_EVENT'
  | 'VALIDATION_FAILED'
  | 'PEER_GONE'
  | 'BLOCKED'
  | 'NOT_FRIENDS'
  | 'INTERNAL_ERROR';

/** Realtime's own code, or the code of a domain error passed on as it was thrown (`CONVERSATION_NOT_FOUND`). */
export interface Refusal {
  code: string;
  message: string;
}

const refusal = (code: RealtimeErrorCode, message: string): Refusal => ({ code, message });

export const tokenInQuery = () => refusal('TOKEN_IN_QUERY', 'Send the access token in auth.token, never in the URL, where logs and proxies keep it');
export const signInFirst = () => refusal('UNAUTHORIZED', 'Sign in first: connect with auth: { token: <accessToken> }');
export const newConnectionFirst = () => refusal('UNAUTHORIZED', 'Connect over a new connection: this one has already been admitted once');
export const tokenExpired = () => refusal('TOKEN_EXPIRED', 'The access token has expired; refresh it and connect again');
export const tokenSuperseded = () => refusal('TOKEN_EXPIRED', 'The password was changed since this socket connected; connect again with the new access token');
export const sessionEnded = () => refusal('SESSION_REVOKED', 'This session has ended; sign in again');
export const rateLimited = (seconds: number) => refusal('RATE_LIMITED', `Too many events; wait ${seconds} s`);
export const tooManySockets = (cap: number) =>
  refusal('TOO_MANY_SOCKETS', `This account has more than ${cap} connections open; the oldest was closed`);
export const tooManySocketsFromAddress = (cap: number) => refusal('TOO_MANY_SOCKETS', `More than ${cap} connections from this address; close some first`);
export const unknownEvent = (known: string[]) => refusal('UNKNOWN_EVENT', `Unknown event; clients may send: ${known.join(', ')}`);
export const invalidTyping = () => refusal('VALIDATION_FAILED', 'Send { conversationId: <conversation id> }');
export const peerGone = () => refusal('PEER_GONE', 'The other account no longer exists');
export const blocked = () => refusal('BLOCKED', 'This conversation is read-only because of a block');
export const notFriends = () => refusal('NOT_FRIENDS', 'You can only message friends');
export const tokenUncheckable = () => refusal('INTERNAL_ERROR', 'The token could not be checked; try again');
export const internalError = () => refusal('INTERNAL_ERROR', 'Something went wrong; try again');

/** A domain error thrown by a registered function, passed on with its own code and message. */
export function refusalOf(error: HttpException): Refusal {
  const response = error.getResponse();
  const body = typeof response === 'object' ? (response as Partial<Refusal>) : {};
  return { code: body.code ?? 'ERROR', message: body.message ?? error.message };
}
