import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { UploadsStore } from './attachments/uploads-store';
import { VoiceRecorder } from './voice-recorder';

/** A MediaRecorder that hands over one chunk when stopped, as browsers do. */
class FakeRecorder extends EventTarget {
  static instances: FakeRecorder[] = [];
  static isTypeSupported = (type: string) => type === 'audio/webm;codecs=opus';
  state: 'inactive' | 'recording' = 'inactive';
  readonly mimeType: string;
  constructor(_stream: MediaStream, options?: { mimeType?: string }) {
    super();
    this.mimeType = options?.mimeType ?? '';
    FakeRecorder.instances.push(this);
  }
  start(): void {
    this.state = 'recording';
  }
  stop(): void {
    this.state = 'inactive';
    this.dispatchEvent(Object.assign(new Event('dataavailable'), { data: new Blob(['opus-bytes'], { type: this.mimeType }) }));
    this.dispatchEvent(new Event('stop'));
  }
}

class FakeAudioContext {
  closed = false;
  createAnalyser() {
    return { fftSize: 0, getByteTimeDomainData: (samples: Uint8Array) => samples.fill(200, 0, samples.length / 2).fill(56, samples.length / 2) };
  }
  createMediaStreamSource() {
    return { connect: () => undefined };
  }
  close() {
    this.closed = true;
    return Promise.resolve();
  }
}

describe('VoiceRecorder', () => {
  let http: HttpTestingController;
  let track: { stop: ReturnType<typeof vi.fn> };
  let getUserMedia: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    FakeRecorder.instances = [];
    track = { stop: vi.fn() };
    getUserMedia = vi.fn().mockResolvedValue({ getTracks: () => [track] });
    vi.stubGlobal('MediaRecorder', FakeRecorder);
    vi.stubGlobal('AudioContext', FakeAudioContext);
    Object.defineProperty(navigator, 'mediaDevices', { configurable: true, value: { getUserMedia } });
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), UploadsStore] });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  function render() {
    const fixture = TestBed.createComponent(VoiceRecorder);
    const recorded = vi.fn();
    fixture.componentInstance.recorded.subscribe(recorded);
    fixture.detectChanges();
    const element = fixture.nativeElement as HTMLElement;
    const button = (name: string) => element.querySelector<HTMLButtonElement>(`button[aria-label="${name}"]`);
    return { fixture, element, recorded, button };
  }

  it('says in words when the microphone is refused, and stays ready', async () => {
    getUserMedia.mockRejectedValue(new DOMException('denied', 'NotAllowedError'));
    const { fixture, element, button } = render();
    button('Record a voice message')!.click();
    await vi.waitFor(() => {
      fixture.detectChanges();
      expect(element.querySelector('[role="alert"]')?.textContent).toContain('may not use the microphone');
    });
    expect(button('Record a voice message')).not.toBeNull();
  });

  it('shows the length and the waveform while recording; Cancel releases the microphone and sends nothing', async () => {
    vi.useFakeTimers();
    const { fixture, element, recorded, button } = render();
    button('Record a voice message')!.click();
    await vi.waitFor(() => expect(FakeRecorder.instances).toHaveLength(1));
    expect(FakeRecorder.instances[0].mimeType).toBe('audio/webm;codecs=opus');
    vi.advanceTimersByTime(1_500);
    fixture.detectChanges();
    expect(element.querySelector('[data-testid="voice-duration"]')?.textContent).toBe('0:01');
    expect(element.querySelectorAll('.bar').length).toBe(15);

    button('Cancel the voice message')!.click();
    fixture.detectChanges();
    expect(track.stop).toHaveBeenCalled();
    expect(element.querySelector('[role="group"]')).toBeNull();
    expect(recorded).not.toHaveBeenCalled();
    expect(TestBed.inject(UploadsStore).tray()).toHaveLength(0);
  });

  it('starts the next recording at 0:00 with no Send, not at the length of the cancelled one', async () => {
    vi.useFakeTimers();
    const { fixture, element, button } = render();
    button('Record a voice message')!.click();
    await vi.waitFor(() => expect(FakeRecorder.instances).toHaveLength(1));
    vi.advanceTimersByTime(4_200);
    button('Cancel the voice message')!.click();
    fixture.detectChanges();

    let grant!: (stream: unknown) => void;
    getUserMedia.mockReturnValueOnce(new Promise((resolve) => (grant = resolve)));
    button('Record a voice message')!.click();
    fixture.detectChanges();
    // The browser is still opening the microphone.
    expect(element.querySelector('[data-testid="voice-duration"]')?.textContent).toBe('0:00');
    expect(element.querySelectorAll('.bar').length).toBe(0);
    const send = [...element.querySelectorAll<HTMLButtonElement>('[role="group"] button')].find((b) => b.textContent?.trim() === 'Send')!;
    expect(send.disabled).toBe(true);
    grant({ getTracks: () => [track] });
    await vi.waitFor(() => expect(FakeRecorder.instances).toHaveLength(2));
  });

  it('puts the recording in the uploads as an audio file and says it is ready to go', async () => {
    const { fixture, element, recorded, button } = render();
    button('Record a voice message')!.click();
    await vi.waitFor(() => expect(FakeRecorder.instances[0]?.state).toBe('recording'));
    fixture.detectChanges();
    [...element.querySelectorAll<HTMLButtonElement>('[role="group"] button')].find((b) => b.textContent?.trim() === 'Send')!.click();
    (await vi.waitFor(() => http.expectOne('/api/attachments/config'))).flush({ maxUploadBytes: 1_000_000, maxAttachmentsPerMessage: 10 });
    await vi.waitFor(() => expect(recorded).toHaveBeenCalledTimes(1));
    const [upload] = TestBed.inject(UploadsStore).tray();
    expect(upload.name).toMatch(/^voice-message-[\d-]+\.webm$/);
    expect(upload.kind).toBe('audio');
    expect(upload.file.type).toBe('audio/webm');
    expect(track.stop).toHaveBeenCalled();
  });
});
