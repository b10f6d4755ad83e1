import { jest } from '@jest/globals';
import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import type { AuthService } from './auth.service.js';
import type { RefreshRow } from './sessions.repository.js';
import { aUser, DAY_MS, newAuthService, SESSION_ID, sha256, START, USER_ID } from '../../test/helpers/auth-service.js';
import { rejection } from '../../test/helpers/rejection.js';

describe('AuthService sessions', () => {
  let fixture: ReturnType<typeof newAuthService>;
  let sut: AuthService;
  let jwt: typeof fixture.jwt;
  let transactions: typeof fixture.transactions;
  let realtime: typeof fixture.realtime;
  let sessions: typeof fixture.sessions;
  let usersService: typeof fixture.usersService;
  let hasher: typeof fixture.hasher;

  beforeEach(() => {
    fixture = newAuthService();
    ({ sut, jwt, transactions, realtime, sessions, usersService, hasher } = fixture);
  });

  describe('refresh', () => {
    const validRow = (overrides: Partial<RefreshRow> = {}): RefreshRow => ({
      id: 'token-1',
      used_at: null,
      session_id: SESSION_ID,
      user_id: USER_ID,
      expires_at: new Date(START.getTime() + DAY_MS),
      revoked_at: null,
      ...overrides,
    });

    it('answers REFRESH_TOKEN_MISSING without touching the database when no token is sent', async () => {
      for (const missing of [undefined, '']) {
        const error = await rejection(sut.refresh(missing));

        expect(error).toBeInstanceOf(UnauthorizedException);
        expect(error.getResponse()).toMatchObject({ code: 'REFRESH_TOKEN_MISSING' });
      }
      expect(transactions.run).not.toHaveBeenCalled();
    });

    it('looks the token up by its SHA-256 and answers INVALID_REFRESH_TOKEN when unknown', async () => {
      const error = await rejection(sut.refresh('unknown-token'));

      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(error.getResponse()).toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
      expect(sessions.lockRefreshToken).toHaveBeenCalledWith(transactions.tx, sha256('unknown-token'));
      expect(sessions.revoke).not.toHaveBeenCalled();
      expect(sessions.markTokenUsed).not.toHaveBeenCalled();
    });

    it('revokes the whole session and answers REFRESH_TOKEN_REUSED when a used token comes back', async () => {
      sessions.lockRefreshToken.mockResolvedValueOnce(validRow({ used_at: new Date(START.getTime() - 60_000) }));

      const error = await rejection(sut.refresh('stolen-token'));

      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(error.getResponse()).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
      expect(sessions.revoke).toHaveBeenCalledTimes(1);
      expect(sessions.revoke).toHaveBeenCalledWith(SESSION_ID, START, { onlyOpen: false, tx: transactions.tx });
      expect(sessions.markTokenUsed).not.toHaveBeenCalled();
      expect(sessions.addRefreshToken).not.toHaveBeenCalled();
      expect(realtime.endSessions).toHaveBeenCalledWith([SESSION_ID]);
    });

    it('answers SESSION_EXPIRED and rotates nothing when the session has expired', async () => {
      sessions.lockRefreshToken.mockResolvedValueOnce(validRow({ expires_at: START }));

      const error = await rejection(sut.refresh('old-token'));

      expect(error.getResponse()).toMatchObject({ code: 'SESSION_EXPIRED' });
      expect(sessions.revoke).not.toHaveBeenCalled();
      expect(sessions.markTokenUsed).not.toHaveBeenCalled();
      expect(sessions.addRefreshToken).not.toHaveBeenCalled();
    });

    it('answers SESSION_REVOKED for a token of a signed-out session', async () => {
      sessions.lockRefreshToken.mockResolvedValueOnce(validRow({ revoked_at: START }));

      expect((await rejection(sut.refresh('token'))).getResponse()).toMatchObject({ code: 'SESSION_REVOKED' });
      expect(sessions.addRefreshToken).not.toHaveBeenCalled();
      expect(realtime.endSessions).not.toHaveBeenCalled();
    });

    it('marks the token used, stores a new one and issues tokens for the same session', async () => {
      sessions.lockRefreshToken.mockResolvedValueOnce(validRow());

      const tokens = await sut.refresh('current-token');

      expect(sessions.markTokenUsed).toHaveBeenCalledWith(transactions.tx, 'token-1', SESSION_ID, START);
      expect(sessions.addRefreshToken).toHaveBeenCalledWith(transactions.tx, SESSION_ID, sha256(tokens.refreshToken), START);
      expect(tokens.refreshToken).not.toBe('current-token');
      expect(tokens.sessionExpiresAt).toEqual(new Date(START.getTime() + DAY_MS));
      expect(usersService.getById).toHaveBeenCalledWith(USER_ID);
      await expect(sut.authenticate(tokens.accessToken)).resolves.toEqual({ id: USER_ID, role: 'user', sessionId: SESSION_ID, tokenVersion: 0 });
    });
  });

  describe('logout', () => {
    it('answers REFRESH_TOKEN_MISSING when neither token is sent', async () => {
      const error = await rejection(sut.logout(undefined, undefined));

      expect(error.getResponse()).toMatchObject({ code: 'REFRESH_TOKEN_MISSING' });
      expect(sessions.revoke).not.toHaveBeenCalled();
    });

    it('revokes the session the refresh token belongs to', async () => {
      sessions.sessionIdOfToken.mockResolvedValueOnce('session-9');

      await sut.logout('refresh-token', undefined);

      expect(sessions.sessionIdOfToken).toHaveBeenCalledWith(sha256('refresh-token'));
      expect(sessions.revoke).toHaveBeenCalledWith('session-9', START, { onlyOpen: true, tx: transactions.tx });
      expect(realtime.endSessions).toHaveBeenCalledWith(['session-9']);
    });

    it("revokes the caller's session and ignores an unknown refresh token", async () => {
      await sut.logout('unknown', { id: USER_ID, role: 'user', sessionId: SESSION_ID });

      expect(sessions.revoke).toHaveBeenCalledTimes(1);
      expect(sessions.revoke).toHaveBeenCalledWith(SESSION_ID, START, { onlyOpen: true, tx: transactions.tx });
      expect(realtime.endSessions).toHaveBeenCalledWith([SESSION_ID]);
    });

    it('runs the sessions-ended hooks inside its transaction with what it ended, and their follow-up after the commit', async () => {
      const ended = [{ sessionId: SESSION_ID, userId: USER_ID }];
      sessions.revoke.mockResolvedValueOnce(ended);
      const order: string[] = [];
      fixture.lifecycle.onSessionsEnded(async (tx, got) => {
        order.push(`hook ${got.map((s) => s.sessionId).join()} ${tx === transactions.tx ? 'in tx' : 'outside'}`);
        return () => order.push('after commit');
      });
      transactions.run.mockImplementationOnce(async (work) => {
        const result = await work(transactions.tx);
        order.push('commit');
        return result;
      });

      await sut.logout(undefined, { id: USER_ID, role: 'user', sessionId: SESSION_ID });

      expect(order).toEqual([`hook ${SESSION_ID} in tx`, 'commit', 'after commit']);
    });

    it('runs no hook when nothing ended (a session already signed out)', async () => {
      const hook = jest.fn(async () => () => undefined);
      fixture.lifecycle.onSessionsEnded(hook);

      await sut.logout(undefined, { id: USER_ID, role: 'user', sessionId: SESSION_ID });

      expect(hook).not.toHaveBeenCalled();
    });
  });

  describe('changePassword', () => {
    const caller = { id: USER_ID, role: 'user' as const, sessionId: SESSION_ID };

    it('answers WRONG_PASSWORD and writes nothing when the current password is wrong', async () => {
      hasher.verify.mockResolvedValueOnce(false);

      const error = await rejection(sut.changePassword(caller, { currentPassword: 'wrong', newPassword: 'new password 1' }));

      expect(error).toBeInstanceOf(ForbiddenException);
      expect(error.getResponse()).toMatchObject({ code: 'WRONG_PASSWORD' });
      expect(hasher.verify).toHaveBeenCalledWith('$argon2id$stored', 'wrong');
      expect(hasher.hash).not.toHaveBeenCalled();
      expect(transactions.run).not.toHaveBeenCalled();
      expect(usersService.setPassword).not.toHaveBeenCalled();
      expect(sessions.revokeOthersOfUser).not.toHaveBeenCalled();
      expect(sessions.create).not.toHaveBeenCalled();
      expect(realtime.endUserSessions).not.toHaveBeenCalled();
    });

    it('stores the new hash, ends every other session, and keeps the caller’s session (its device) with new tokens', async () => {
      usersService.getById.mockResolvedValueOnce(aUser()).mockResolvedValueOnce(aUser({ tokenVersion: 1 }));

      const tokens = await sut.changePassword(caller, { currentPassword: 'right password', newPassword: 'new password 1' });

      expect(hasher.hash).toHaveBeenCalledWith('new password 1');
      expect(usersService.setPassword).toHaveBeenCalledWith(USER_ID, '$argon2id$new', transactions.tx);
      expect(sessions.revokeOthersOfUser).toHaveBeenCalledWith(transactions.tx, USER_ID, SESSION_ID, START);
      expect(sessions.create).not.toHaveBeenCalled();
      // The session's old refresh tokens go; a new one is issued for the same session.
      expect(sessions.dropRefreshTokens).toHaveBeenCalledWith(transactions.tx, SESSION_ID);
      expect(sessions.addRefreshToken).toHaveBeenCalledWith(transactions.tx, SESSION_ID, expect.any(Buffer), START);
      expect(jwt.decode(tokens.accessToken)).toMatchObject({ sub: USER_ID, sid: SESSION_ID, ver: 1 });
      expect(tokens.refreshToken).toEqual(expect.any(String));
      // Every socket of the user closes, except those of the caller's session.
      expect(realtime.endUserSessions).toHaveBeenCalledWith(USER_ID, SESSION_ID);
    });
  });
});
