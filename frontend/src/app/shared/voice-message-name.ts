/** The containers a voice recording is saved in. */
export type VoiceExtension = 'webm' | 'm4a' | 'ogg';

/** The file name of a voice recording: `voice-message-<time>.<ext>`. */
export function voiceMessageName(at: Date, extension: VoiceExtension): string {
  const stamp = at.toISOString().slice(0, 19).replace(/[:T]/g, '-');
  return `voice-message-${stamp}.${extension}`;
}

/** The names `voiceMessageName` gives: how any view tells a voice message from another audio file. */
const VOICE_NAME = /^voice-message-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.(webm|m4a|ogg)$/u;

export function isVoiceMessageName(name: string): boolean {
  return VOICE_NAME.test(name);
}
