import { RecordedAudio } from '../../core/crypto/encrypted-upload';
import { voiceMessageName } from '../../shared/voice-message-name';
/** Containers Chromium, Firefox and Safari record to, best first. */
const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4', 'audio/webm'];
/** How often the level is read for the waveform. */
export const LEVEL_INTERVAL_MS = 100;

/** The first type this browser's MediaRecorder records, or '' for its default. */
export function recordingType(supported: (type: string) => boolean = (type) => MediaRecorder.isTypeSupported(type)): string {
  return TYPES.find(supported) ?? '';
}

/** The file of a recording, named by `voiceMessageName` and typed without codec parameters. */
export function voiceFile(chunks: readonly Blob[], type: string, at: Date, durationSeconds = 0): RecordedAudio {
  const base = (type || 'audio/webm').split(';')[0].trim();
  const extension = base === 'audio/mp4' ? 'm4a' : base === 'audio/ogg' ? 'ogg' : 'webm';
  return new RecordedAudio([...chunks], voiceMessageName(at, extension), { type: base }, Math.round(durationSeconds * 10) / 10);
}

/** The loudness (0–1) of one frame of time-domain samples, scaled so that speech fills most of a bar. */
export function level(samples: Uint8Array): number {
  let sum = 0;
  for (const sample of samples) {
    const centred = (sample - 128) / 128;
    sum += centred * centred;
  }
  return Math.min(1, Math.sqrt(sum / Math.max(1, samples.length)) * 4);
}

/** "m:ss" for a recording's length. */
export function recordingClock(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
