import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { describeError } from '../../../core/api-errors';
import { AuthStore } from '../../../core/auth-store';
import { attachmentDto } from './attachment.fixtures';
import { AttachmentFiles } from './attachment-files';

describe('AttachmentFiles', () => {
  let sut: AttachmentFiles;
  let http: HttpTestingController;
  const user = signal<{ id: string } | null>({ id: 'u1' });
  const photo = attachmentDto('i1', { kind: 'image', size: 1000, thumbnailUrl: '/api/attachments/i1/thumbnail' });

  beforeEach(() => {
    user.set({ id: 'u1' });
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), { provide: AuthStore, useValue: { user } }],
    });
    sut = TestBed.inject(AttachmentFiles);
    http = TestBed.inject(HttpTestingController);
    TestBed.tick();
  });

  afterEach(() => http.verify());

  async function load(variant: 'original' | 'thumbnail', keep: boolean): Promise<Blob> {
    const blob = sut.get(photo, variant, { keep });
    const url = variant === 'original' ? '/api/attachments/i1' : '/api/attachments/i1/thumbnail';
    http.expectOne(url).flush(new Blob([variant]));
    return blob;
  }

  it('fetches a file once for every view that shows it, and keeps it after they go', async () => {
    const first = await load('thumbnail', true);
    const second = await sut.get(photo, 'thumbnail', { keep: true });
    expect(second).toBe(first);
    sut.release('i1', 'thumbnail');
    sut.release('i1', 'thumbnail');
    expect(await sut.get(photo, 'thumbnail', { keep: true })).toBe(first);
    http.expectNone('/api/attachments/i1/thumbnail');
    sut.release('i1', 'thumbnail');
  });

  it('forgets the file of a timed message as soon as no view shows it', async () => {
    await load('original', false);
    sut.release('i1', 'original');
    await load('original', true);
    sut.release('i1', 'original');
  });

  it('tries again after a failed fetch', async () => {
    const failed = sut.get(photo, 'original', { keep: true });
    http.expectOne('/api/attachments/i1').flush(null, { status: 500, statusText: 'Server Error' });
    await expect(failed).rejects.toBeTruthy();
    await load('original', true);
    sut.release('i1', 'original');
  });

  it('reads the error code out of a failed download, to say it in words', async () => {
    const failed = sut.get(photo, 'original', { keep: true });
    const body = { statusCode: 404, error: 'Not Found', code: 'ATTACHMENT_NOT_FOUND', message: 'Attachment not found' };
    http.expectOne('/api/attachments/i1').flush(new Blob([JSON.stringify(body)], { type: 'application/json' }), { status: 404, statusText: 'Not Found' });
    const error = await failed.catch((reason: unknown) => reason);
    expect(describeError(error)).toBe('This file is no longer available.');
  });

  it('forgets everything when another user signs in', async () => {
    await load('thumbnail', true);
    sut.release('i1', 'thumbnail');
    user.set({ id: 'u2' });
    TestBed.tick();
    await load('thumbnail', true);
    sut.release('i1', 'thumbnail');
  });
});
