import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting, type TestRequest } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { AuthStore } from '../../../core/auth-store';
import { attachmentDto } from './attachment.fixtures';
import { AUTOLOAD_MEDIA_BYTES } from './attachment-media';
import { MessageAttachments } from './message-attachments';

describe('MessageAttachments', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<MessageAttachments>;
  let created: string[];
  let revoked: string[];
  const originalCreate = URL.createObjectURL;
  const originalRevoke = URL.revokeObjectURL;

  const photo = attachmentDto('i1', { kind: 'image', mimeType: 'image/jpeg', name: 'beach.jpg', size: 900_000, width: 1200, height: 800, thumbnailUrl: '/api/attachments/i1/thumbnail' });
  const report = attachmentDto('f1', { name: 'report.pdf', mimeType: 'application/pdf', size: Math.round(2.4 * 1024 * 1024) });
  const film = attachmentDto('v1', { kind: 'video', mimeType: 'video/mp4', name: 'film.mp4', size: AUTOLOAD_MEDIA_BYTES + 1, durationSeconds: 75 });
  const voice = attachmentDto('s1', { kind: 'audio', mimeType: 'audio/ogg', name: 'voice.ogg', size: 20_000 });

  const next = (url: string) => vi.waitFor(() => http.expectOne(url));
  const element = () => fixture.nativeElement as HTMLElement;
  const settle = async (check: () => void) =>
    vi.waitFor(() => {
      fixture.detectChanges();
      check();
    });

  function render(attachments = [photo, report, film, voice], keep = true): void {
    fixture = TestBed.createComponent(MessageAttachments);
    fixture.componentRef.setInput('attachments', attachments);
    fixture.componentRef.setInput('keep', keep);
    fixture.detectChanges();
  }

  function blob(request: TestRequest, type: string): void {
    request.flush(new Blob(['bytes'], { type }));
  }

  beforeEach(() => {
    created = [];
    revoked = [];
    let count = 0;
    URL.createObjectURL = vi.fn(() => {
      const url = `blob:test/${++count}`;
      created.push(url);
      return url;
    });
    URL.revokeObjectURL = vi.fn((url: string) => void revoked.push(url));
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), { provide: AuthStore, useValue: { user: signal({ id: 'u1' }) } }],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    http.verify();
    URL.createObjectURL = originalCreate;
    URL.revokeObjectURL = originalRevoke;
  });

  it('shows the thumbnail (fetched with the token, as a blob: URL), with the file name as alt text', async () => {
    render([photo]);
    blob(await next('/api/attachments/i1/thumbnail'), 'image/webp');
    await settle(() => expect(element().querySelector('img')).not.toBeNull());
    const image = element().querySelector('img')!;
    expect(image.alt).toBe('beach.jpg');
    expect(image.getAttribute('src')).toBe(created[0]);
    const button = element().querySelector<HTMLButtonElement>('button.thumb')!;
    expect(button.getAttribute('aria-label')).toBe('Open beach.jpg full size');
  });

  it('opens the image full size in a dialog with a download, and lets the URLs go when closed', async () => {
    render([photo]);
    blob(await next('/api/attachments/i1/thumbnail'), 'image/webp');
    await settle(() => expect(element().querySelector('img')).not.toBeNull());
    element().querySelector<HTMLButtonElement>('button.thumb')!.click();
    fixture.detectChanges();
    const original = await next('/api/attachments/i1');
    expect(original.request.responseType).toBe('blob');
    blob(original, 'image/jpeg');
    const full = () => document.querySelector<HTMLImageElement>('[data-testid="full-image"]');
    await settle(() => expect(full()).not.toBeNull());
    expect(full()!.alt).toBe('beach.jpg');
    const dialog = document.querySelector('mat-dialog-container')!;
    expect(dialog.textContent).toContain('beach.jpg');
    expect(dialog.querySelector('[aria-label="Download beach.jpg"]')).not.toBeNull();

    dialog.querySelector<HTMLButtonElement>('[aria-label="Close"]')!.click();
    await settle(() => expect(document.querySelector('[data-testid="full-image"]')).toBeNull());
    await vi.waitFor(() => expect(revoked).toContain(created[1]));
    fixture.destroy();
    expect(revoked).toContain(created[0]);
  });

  it('closes the full-size image when the message goes (deleted or expired)', async () => {
    render([photo]);
    blob(await next('/api/attachments/i1/thumbnail'), 'image/webp');
    await settle(() => expect(element().querySelector('img')).not.toBeNull());
    element().querySelector<HTMLButtonElement>('button.thumb')!.click();
    fixture.detectChanges();
    blob(await next('/api/attachments/i1'), 'image/jpeg');
    await settle(() => expect(document.querySelector('[data-testid="full-image"]')).not.toBeNull());
    fixture.componentRef.setInput('attachments', []);
    await settle(() => expect(document.querySelector('mat-dialog-container')).toBeNull());
  });

  it('shows other files as a chip with name and size; the download saves the blob under its name', async () => {
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    render([report]);
    expect(element().querySelector('[data-testid="file-name"]')?.textContent).toBe('report.pdf');
    expect(element().querySelector('[data-testid="file-size"]')?.textContent).toBe('2.4 MB');
    const download = element().querySelector<HTMLButtonElement>('[aria-label="Download report.pdf, 2.4 MB"]')!;
    download.click();
    blob(await next('/api/attachments/f1'), 'application/pdf');
    await vi.waitFor(() => expect(click).toHaveBeenCalled());
    const link = click.mock.contexts[0] as HTMLAnchorElement;
    expect(link.download).toBe('report.pdf');
    expect(link.href).toBe(created[0]);
    click.mockRestore();
  });

  it('loads a small recording at once and a large video only when asked, then plays it', async () => {
    render([film, voice]);
    blob(await next('/api/attachments/s1'), 'audio/ogg');
    await settle(() => expect(element().querySelector('audio')).not.toBeNull());
    expect(element().querySelector('audio')!.getAttribute('src')).toBe(created[0]);

    http.expectNone('/api/attachments/v1');
    const play = element().querySelector<HTMLButtonElement>('[aria-label="Play film.mp4, 4 MB"]')!;
    expect(play.textContent).toContain('1:15');
    play.click();
    fixture.detectChanges();
    expect(element().textContent).toContain('Loading film.mp4');
    blob(await next('/api/attachments/v1'), 'video/mp4');
    await settle(() => expect(element().querySelector('video')).not.toBeNull());
    expect(element().querySelector('video')!.autoplay).toBe(true);
  });

  it('shows a recording\'s length from the file once its metadata loaded, and where playback is', async () => {
    render([voice]);
    blob(await next('/api/attachments/s1'), 'audio/ogg');
    await settle(() => expect(element().querySelector('audio')).not.toBeNull());
    const audio = element().querySelector('audio')!;
    const caption = () => element().querySelector('[data-testid="media-caption"]')!.textContent!.trim();
    expect(caption()).toBe('voice.ogg · 20 KB');
    // A WebM recording may not know its length at first.
    Object.defineProperty(audio, 'duration', { configurable: true, value: Infinity });
    audio.dispatchEvent(new Event('loadedmetadata'));
    fixture.detectChanges();
    expect(caption()).toBe('voice.ogg · 20 KB');
    Object.defineProperty(audio, 'duration', { configurable: true, value: 12.4 });
    audio.dispatchEvent(new Event('durationchange'));
    fixture.detectChanges();
    expect(caption()).toBe('voice.ogg · 0:12 · 20 KB');
    Object.defineProperty(audio, 'currentTime', { configurable: true, value: 3.2 });
    audio.dispatchEvent(new Event('timeupdate'));
    fixture.detectChanges();
    expect(caption()).toBe('voice.ogg · 0:03 / 0:12');
  });

  it('says when a file cannot be loaded and tries again on request', async () => {
    render([voice]);
    (await next('/api/attachments/s1')).flush(null, { status: 404, statusText: 'Not Found' });
    await settle(() => expect(element().textContent).toContain('voice.ogg could not be loaded.'));
    element().querySelector<HTMLButtonElement>('[role="alert"] button')!.click();
    fixture.detectChanges();
    blob(await next('/api/attachments/s1'), 'audio/ogg');
    await settle(() => expect(element().querySelector('audio')).not.toBeNull());
  });
});
