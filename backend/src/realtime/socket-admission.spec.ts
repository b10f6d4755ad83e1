import { jest } from '@jest/globals';
import { Logger, UnauthorizedException } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { newTestService } from '../../test/helpers/new-test-service.js';
import { tooManySocketsFromAddress } from './errors.js';
import { sessionRoom, userRoom } from './realtime-events.js';
import { RealtimeService } from './realtime.service.js';
import { type IrisSocket, SocketAdmission } from './socket-admission.js';
import { SocketLimits } from './socket-limits.js';

const ALICE = 'aaaaaaaa-0000-4000-8000-000000000001';
const SESSION = 'aaaaaaaa-1111-4000-8000-000000000001';
const ADDRESS = '203.0.113.7';
const NOW = new Date('2030-01-01T00:00:00Z');
const EXPIRES = new Date('2030-01-01T00:15:00Z');
const TOKEN = ['{"alg":"HS256"}', JSON.stringify({ sub: ALICE, exp: EXPIRES.getTime() / 1000 }), 'signature']
  .map((part) => Buffer.from(part).toString('base64url'))
  .join('.');

/** The parts of a Socket.IO socket the handshake reads and writes. */
function fakeSocket(handshake: { query?: Record<string, unknown>; auth?: Record<string, unknown> } = {}) {
  const conn = { request: { headers: { host: 'chat.example.com' } } as unknown };
  const socket = {
    conn,
    get request() {
      return conn.request;
    },
    handshake: { headers: { host: 'chat.example.com' }, address: ADDRESS, query: handshake.query ?? {}, auth: handshake.auth ?? { token: TOKEN } },
    data: undefined as unknown,
    join: jest.fn(async (_rooms: string[]) => undefined),
  };
  return { socket, sut: socket as unknown as IrisSocket };
}

function setup() {
  const built = newTestService(SocketAdmission, [[Clock, new FakeClock(NOW)]]);
  const limits = built.mock(SocketLimits);
  limits.addressOf.mockReturnValue(ADDRESS);
  limits.refusalFor.mockResolvedValue(null);
  const realtime = built.mock(RealtimeService);
  realtime.authenticate.mockResolvedValue({ id: ALICE, role: 'user', sessionId: SESSION, tokenVersion: 3 });
  realtime.openSessionIds.mockResolvedValue(new Set([SESSION]));
  return { sut: built.sut, limits, realtime };
}

describe(SocketAdmission.name, () => {
  afterEach(() => jest.restoreAllMocks());

  describe('admit', () => {
    it("gives the socket its user's data, joins their rooms and forgets the handshake", async () => {
      const { sut, limits, realtime } = setup();
      const { socket, sut: admitted } = fakeSocket();

      await sut.admit(admitted);

      expect(realtime.authenticate).toHaveBeenCalledWith(TOKEN);
      expect(limits.refusalFor).toHaveBeenCalledWith(ADDRESS);
      expect(socket.data).toEqual({ userId: ALICE, sessionId: SESSION, tokenVersion: 3, tokenExpiresAt: EXPIRES, connectedAt: NOW.getTime(), address: ADDRESS });
      expect(socket.join).toHaveBeenCalledWith([userRoom(ALICE), sessionRoom(SESSION)]);
      expect(socket.conn.request).toBeNull();
      expect(socket.handshake).toMatchObject({ headers: {}, query: {}, auth: {} });
    });

    it('refuses a second connect over a connection already admitted once', async () => {
      const { sut, realtime } = setup();
      const { sut: admitted } = fakeSocket();
      await sut.admit(admitted);

      await expect(sut.admit(admitted)).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED', message: expect.stringContaining('new connection') } });
      expect(realtime.authenticate).toHaveBeenCalledTimes(1);
    });

    it.each([
      ['named token', { token: TOKEN }],
      ['named Access_Token, in any case', { Access_Token: 'x' }],
      ['shaped like a JWT under any name', { session: TOKEN }],
    ])('refuses a token in the query (%s) before checking it', async (_name, query) => {
      const { sut, realtime } = setup();

      await expect(sut.admit(fakeSocket({ query }).sut)).rejects.toMatchObject({ data: { code: 'TOKEN_IN_QUERY' } });
      expect(realtime.authenticate).not.toHaveBeenCalled();
    });

    it.each([
      ['no auth', {}],
      ['an empty token', { token: '' }],
      ['a token that is not a string', { token: 42 }],
    ])('asks to sign in first with %s', async (_name, auth) => {
      const { sut } = setup();

      const refused = sut.admit(fakeSocket({ auth }).sut);

      await expect(refused).rejects.toMatchObject({ message: expect.stringContaining('Sign in first'), data: { code: 'UNAUTHORIZED' } });
    });

    it("refuses with the address's limit before checking the token", async () => {
      const { sut, limits, realtime } = setup();
      limits.refusalFor.mockResolvedValue(tooManySocketsFromAddress(200));

      await expect(sut.admit(fakeSocket().sut)).rejects.toMatchObject({ data: tooManySocketsFromAddress(200) });
      expect(realtime.authenticate).not.toHaveBeenCalled();
    });

    it('answers INTERNAL_ERROR when the limits cannot be read', async () => {
      const { sut, limits } = setup();
      limits.refusalFor.mockRejectedValue(new Error('Redis is down'));

      await expect(sut.admit(fakeSocket().sut)).rejects.toMatchObject({ data: { code: 'INTERNAL_ERROR' } });
    });

    it("passes on the refusal of a token it cannot accept, with the auth module's code", async () => {
      const { sut, realtime } = setup();
      realtime.authenticate.mockRejectedValue(new UnauthorizedException({ code: 'SESSION_REVOKED', message: 'This session has ended' }));
      const { socket, sut: refused } = fakeSocket();

      await expect(sut.admit(refused)).rejects.toMatchObject({ message: 'This session has ended', data: { code: 'SESSION_REVOKED', message: 'This session has ended' } });
      expect(socket.join).not.toHaveBeenCalled();
    });

    it('answers INTERNAL_ERROR, and logs why, when the token cannot be checked', async () => {
      const { sut, realtime } = setup();
      realtime.authenticate.mockRejectedValue(new Error('connection reset'));
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

      await expect(sut.admit(fakeSocket().sut)).rejects.toMatchObject({ data: { code: 'INTERNAL_ERROR' } });
      expect(logged).toHaveBeenCalledWith('Handshake failed: connection reset');
    });

    it('refuses a session that ended between the token check and joining its rooms', async () => {
      const { sut, realtime } = setup();
      realtime.openSessionIds.mockResolvedValue(new Set());
      const { socket, sut: refused } = fakeSocket();

      await expect(sut.admit(refused)).rejects.toMatchObject({ data: { code: 'SESSION_REVOKED' } });
      expect(socket.join).toHaveBeenCalled();
      expect(realtime.openSessionIds).toHaveBeenCalledWith([SESSION]);
    });
  });
});
