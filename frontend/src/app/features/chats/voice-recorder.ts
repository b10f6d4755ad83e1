import { ChangeDetectionStrategy, Component, computed, DestroyRef, inject, input, output, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Icon } from '../../shared/icon';
import { UploadsStore } from './attachments/uploads-store';
import { level, LEVEL_INTERVAL_MS, recordingClock, recordingType, voiceFile } from './voice-recording';

/** Bars the waveform shows: the last few seconds of the recording. */
const BARS = 48;

interface Recording {
  stream: MediaStream;
  recorder: MediaRecorder;
  audio: AudioContext;
  sampler: ReturnType<typeof setInterval>;
  chunks: Blob[];
  startedAt: number;
}

/**
 * The composer's microphone: records a voice message in the browser (MediaRecorder) with its length
 * and a live waveform, then cancels or sends it as an audio attachment through the conversation's
 * uploads (so it is encrypted where the conversation is).
 */
@Component({
  selector: 'app-voice-recorder',
  imports: [Icon, MatButtonModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '[class.active]': "state() !== 'idle'" },
  template: `
    @if (state() === 'idle') {
      <button mat-icon-button type="button" class="mic" [disabled]="disabled()" (click)="start()" aria-label="Record a voice message" title="Record a voice message">
        <app-icon name="mic" />
      </button>
    } @else {
      <div class="recording" role="group" aria-label="Voice message">
        <button mat-icon-button type="button" (click)="cancel()" aria-label="Cancel the voice message" title="Cancel">
          <app-icon name="close" />
        </button>
        <span class="dot" aria-hidden="true"></span>
        <span class="clock" data-testid="voice-duration" [attr.aria-label]="'Recording, ' + clock()">{{ clock() }}</span>
        <span class="wave" data-testid="voice-waveform" aria-hidden="true">
          @for (value of bars(); track $index) {
            <span class="bar" [style.height.%]="8 + value * 92"></span>
          }
        </span>
        <button mat-flat-button type="button" [disabled]="state() !== 'recording'" (click)="finish()">Send</button>
      </div>
    }
    @if (error(); as error) {
      <p class="error" role="alert">{{ error }}</p>
    }
  `,
  styles: `
    :host { display: inline-flex; flex: none; }
    :host(.active) { position: absolute; inset: 0; z-index: 1; background: var(--mat-sys-surface); }
    .mic { color: var(--mat-sys-on-surface-variant); }
    .recording { flex: 1; display: flex; align-items: center; gap: 8px; min-width: 0; }
    .dot { flex: none; width: 10px; height: 10px; border-radius: 50%; background: var(--mat-sys-error); }
    .clock { flex: none; font: var(--mat-sys-label-large); font-variant-numeric: tabular-nums; color: var(--mat-sys-on-surface); }
    .wave { flex: 1; min-width: 0; height: 32px; display: flex; align-items: center; justify-content: flex-end; gap: 2px; overflow: hidden; }
    .bar { flex: none; width: 3px; border-radius: 2px; background: var(--mat-sys-primary); }
    .error { position: absolute; bottom: 100%; left: 0; right: 0; margin: 0 0 4px; padding: 4px 8px; border-radius: 8px;
      font: var(--mat-sys-body-small); background: var(--mat-sys-error-container); color: var(--mat-sys-on-error-container); }
  `,
})
export class VoiceRecorder {
  readonly disabled = input(false);
  /** The recording is in the uploads tray: the message can go. */
  readonly recorded = output();

  private readonly uploads = inject(UploadsStore);
  protected readonly state = signal<'idle' | 'starting' | 'recording' | 'finishing'>('idle');
  protected readonly error = signal<string | null>(null);
  private readonly levels = signal<readonly number[]>([]);
  private readonly elapsed = signal(0);
  protected readonly bars = computed(() => this.levels().slice(-BARS));
  protected readonly clock = computed(() => recordingClock(this.elapsed()));
  private recording: Recording | null = null;
  private destroyed = false;

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      this.destroyed = true;
      this.stop();
    });
  }

  /** Another conversation opens: whatever is being recorded is dropped, the microphone goes off. */
  reset(): void {
    this.cancel();
    this.error.set(null);
  }

  protected async start(): Promise<void> {
    this.error.set(null);
    // A new recording starts at 0:00 with an empty waveform while the browser opens the microphone, not
    // with the length of the one before (which would read as recorded already, and could be sent at once).
    this.levels.set([]);
    this.elapsed.set(0);
    this.state.set('starting');
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      if (this.state() !== 'starting') return;
      this.state.set('idle');
      this.error.set('Iris may not use the microphone. Allow it in the browser to record a voice message.');
      return;
    }
    // Cancelled, or the page left, while the browser asked for the microphone: it goes off at once.
    if (this.destroyed || this.state() !== 'starting') {
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    const type = recordingType();
    const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const audio = new AudioContext();
    const analyser = audio.createAnalyser();
    analyser.fftSize = 512;
    audio.createMediaStreamSource(stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    const chunks: Blob[] = [];
    recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    });
    const startedAt = Date.now();
    const sampler = setInterval(() => {
      analyser.getByteTimeDomainData(samples);
      this.levels.update((levels) => [...levels.slice(-(BARS - 1)), level(samples)]);
      this.elapsed.set(Date.now() - startedAt);
    }, LEVEL_INTERVAL_MS);
    this.recording = { stream, recorder, audio, sampler, chunks, startedAt };
    recorder.start();
    this.state.set('recording');
  }

  protected cancel(): void {
    this.stop();
    this.state.set('idle');
  }

  protected async finish(): Promise<void> {
    const recording = this.recording;
    if (!recording) return;
    this.state.set('finishing');
    const stopped = new Promise<void>((resolve) => recording.recorder.addEventListener('stop', () => resolve(), { once: true }));
    this.stop();
    await stopped;
    const file = voiceFile(recording.chunks, recording.recorder.mimeType, new Date(recording.startedAt), (Date.now() - recording.startedAt) / 1000);
    this.state.set('idle');
    const before = this.uploads.tray().length;
    await this.uploads.add([file]);
    if (this.uploads.tray().length > before) this.recorded.emit();
  }

  /** Stops the recorder, the level sampling and the microphone (its indicator in the browser goes off). */
  private stop(): void {
    const recording = this.recording;
    if (!recording) return;
    this.recording = null;
    clearInterval(recording.sampler);
    if (recording.recorder.state !== 'inactive') recording.recorder.stop();
    for (const track of recording.stream.getTracks()) track.stop();
    void recording.audio.close();
  }
}
