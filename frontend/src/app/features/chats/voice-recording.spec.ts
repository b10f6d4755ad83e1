import { isVoiceMessageName } from '../../shared/voice-message-name';
import { level, recordingClock, recordingType, voiceFile } from './voice-recording';

describe('voice recording', () => {
  describe('recordingType', () => {
    it('picks the first container the browser records to', () => {
      expect(recordingType((type) => type.startsWith('audio/webm'))).toBe('audio/webm;codecs=opus');
      expect(recordingType((type) => type === 'audio/mp4')).toBe('audio/mp4');
    });

    it("falls back to the browser's default when it records none of them", () => {
      expect(recordingType(() => false)).toBe('');
    });
  });

  describe('voiceFile', () => {
    it('names the file after its time and container, typed without codec parameters', async () => {
      const sut = voiceFile([new Blob(['ab']), new Blob(['cd'])], 'audio/webm;codecs=opus', new Date('2026-12-06T10:20:30.000Z'));
      expect(sut.name).toBe('voice-message-2026-12-06-10-20-30.webm');
      expect(sut.type).toBe('audio/webm');
      expect(await sut.text()).toBe('abcd');
      expect(voiceFile([], 'audio/mp4', new Date(0)).name).toMatch(/\.m4a$/);
      expect(voiceFile([], '', new Date(0)).type).toBe('audio/webm');
    });

    it('carries the length the recorder measured, and a name that tells it from other audio', () => {
      const sut = voiceFile([new Blob(['ab'])], 'audio/webm', new Date('2026-12-06T10:20:30.000Z'), 5.04);
      expect(sut.durationSeconds).toBe(5);
      expect(isVoiceMessageName(sut.name)).toBe(true);
      expect(isVoiceMessageName('voice-message.webm')).toBe(false);
      expect(isVoiceMessageName('song.webm')).toBe(false);
    });
  });

  describe('level', () => {
    it('is 0 for silence and grows with loudness, up to 1', () => {
      expect(level(new Uint8Array(64).fill(128))).toBe(0);
      const quiet = level(Uint8Array.from({ length: 64 }, (_, i) => (i % 2 ? 134 : 122)));
      const loud = level(Uint8Array.from({ length: 64 }, (_, i) => (i % 2 ? 200 : 56)));
      expect(quiet).toBeGreaterThan(0);
      expect(loud).toBeGreaterThan(quiet);
      expect(level(Uint8Array.from({ length: 64 }, (_, i) => (i % 2 ? 255 : 0)))).toBe(1);
    });
  });

  describe('recordingClock', () => {
    it('shows minutes and seconds', () => {
      expect(recordingClock(0)).toBe('0:00');
      expect(recordingClock(9_999)).toBe('0:09');
      expect(recordingClock(75_000)).toBe('1:15');
    });
  });
});
