import { canonicalJson, checkSignedKeys, hasLoneSurrogate } from './key-shapes.js';

const USER = '@aaaaaaaa-0000-4000-8000-000000000001:iris';
const DEVICE = 'aaaaaaaa-1111-4000-8000-000000000001';
const signatures = { [USER]: { [`ed25519:${DEVICE}`]: 'S'.repeat(86) } };

describe('key shapes', () => {
  describe('checkSignedKeys', () => {
    it('keeps key, signatures and the fallback flag, nothing else', () => {
      expect(checkSignedKeys({ 'signed_curve25519:AAAAAQ': { key: 'A'.repeat(43), signatures, fallback: true } }, USER, DEVICE, 'fallback_keys')).toEqual([
        ['signed_curve25519:AAAAAQ', { key: 'A'.repeat(43), signatures, fallback: true }],
      ]);
    });

    it.each([
      ['another algorithm', { 'curve25519:AAAAAQ': { key: 'A'.repeat(43), signatures } }],
      ['a padded key', { 'signed_curve25519:AAAAAQ': { key: `${'A'.repeat(43)}=`, signatures } }],
      ["another device's signature", { 'signed_curve25519:AAAAAQ': { key: 'A'.repeat(43), signatures: { [USER]: { 'ed25519:OTHER': 'S'.repeat(86) } } } }],
      ['a second signer', { 'signed_curve25519:AAAAAQ': { key: 'A'.repeat(43), signatures: { ...signatures, '@x:iris': {} } } }],
      ['an extra field', { 'signed_curve25519:AAAAAQ': { key: 'A'.repeat(43), signatures, note: 'hi' } }],
    ])('refuses %s with INVALID_KEYS', (_name, map) => {
      expect(() => checkSignedKeys(map, USER, DEVICE, 'one_time_keys')).toThrow(expect.objectContaining({ response: expect.objectContaining({ code: 'INVALID_KEYS' }) }));
    });
  });

  it('compares uploads whatever their key order', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: 'x' })).toBe(canonicalJson({ a: 'x', b: [1, { c: 2, d: 1 }] }));
  });

  it('finds half surrogate pairs, in values and in keys, and passes whole ones', () => {
    expect(hasLoneSurrogate({ a: ['ok', '😀'] })).toBe(false);
    expect(hasLoneSurrogate({ a: ['\uD83D'] })).toBe(true);
    expect(hasLoneSurrogate({ ['\uDE00']: 1 })).toBe(true);
  });
});
