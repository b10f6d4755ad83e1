import { HttpEventType, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting, type TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import type { AttachmentConfigDto } from '../../../../sdk/models/attachment-config-dto';
import { uploadProgressInterceptor } from '../../../core/upload-progress';
import { decryptFile } from '../../../core/crypto/attachment-crypto';
import { attachmentDto } from './attachment.fixtures';
import { uploadedAttachments, UploadsStore } from './uploads-store';

const CONFIG: AttachmentConfigDto = {
  maxUploadBytes: 1000,
  maxAttachmentsPerMessage: 3,
  maxImagePixels: 33_000_000,
  kinds: ['image', 'video', 'audio', 'file'],
  unattachedRetentionHours: 24,
};

function file(name: string, size = 10, type = 'text/plain'): File {
  return new File([new Uint8Array(size)], name, { type });
}

describe('UploadsStore', () => {
  let sut: UploadsStore;
  let http: HttpTestingController;

  const uploads = () => http.match((request) => request.url === '/api/attachments' && request.method === 'POST');
  const nextUpload = async (): Promise<TestRequest> => {
    let found: TestRequest[] = [];
    await vi.waitFor(() => {
      found = uploads();
      expect(found).toHaveLength(1);
    });
    return found[0];
  };

  async function add(files: File[]): Promise<void> {
    const done = sut.add(files);
    const config = http.match('/api/attachments/config');
    for (const request of config) request.flush(CONFIG);
    await done;
  }

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(withInterceptors([uploadProgressInterceptor])), provideHttpClientTesting(), UploadsStore],
    });
    sut = TestBed.inject(UploadsStore);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  describe('in an encrypted conversation', () => {
    it('uploads the file encrypted, as an opaque blob without its name, and keeps its key and real name for the message', async () => {
      sut.setEncrypted(() => true);
      const plaintext = new TextEncoder().encode('meet at the old mill');
      await add([new File([plaintext], 'plans.txt', { type: 'text/plain' })]);
      const [upload] = sut.tray();
      let request: TestRequest | undefined;
      await vi.waitFor(() => {
        request = http.match((candidate) => candidate.url === '/api/attachments/encrypted' && candidate.method === 'POST')[0];
        expect(request).toBeDefined();
      });
      expect(http.match('/api/attachments')).toHaveLength(0);
      const sent = (request!.request.body as FormData).get('file') as File;
      expect(sent.type).toBe('application/octet-stream');
      expect(sent.name).not.toContain('plans');
      const ciphertext = await sent.arrayBuffer();
      expect(new TextDecoder().decode(ciphertext)).not.toContain('old mill');

      request!.flush(attachmentDto('b1', { kind: 'encrypted', mimeType: 'application/octet-stream', name: 'encrypted.bin' }));
      const attachment = await upload.result();
      expect(attachment?.info).toMatchObject({ id: 'b1', name: 'plans.txt', mimetype: 'text/plain', size: plaintext.byteLength, v: 'v2' });
      expect(new TextDecoder().decode(await decryptFile(ciphertext, attachment!.info!))).toBe('meet at the old mill');
    });
  });

  it('takes half as many files per message when encrypted: each may need a second blob for its thumbnail', async () => {
    sut.setEncrypted(() => true);
    await add([file('a.txt'), file('b.txt')]);
    expect(sut.tray().map((upload) => upload.name)).toEqual(['a.txt']);
    expect(sut.notices()).toHaveLength(1);
    let request: TestRequest | undefined;
    await vi.waitFor(() => {
      request = http.match('/api/attachments/encrypted')[0];
      expect(request).toBeDefined();
    });
    request!.flush(attachmentDto('b1', { kind: 'encrypted' }));
  });

  describe('add', () => {
    it('uploads the file in the field "file", showing its progress, then the attachment', async () => {
      await add([file('notes.txt', 200)]);
      const [upload] = sut.tray();
      expect(upload.name).toBe('notes.txt');
      const request = await nextUpload();
      expect(upload.state()).toBe('uploading');
      expect((request.request.body as FormData).get('file')).toBeInstanceOf(File);
      expect(((request.request.body as FormData).get('file') as File).name).toBe('notes.txt');

      request.event({ type: HttpEventType.UploadProgress, loaded: 110, total: 220 });
      expect(upload.percent()).toBe(50);
      expect(upload.processing()).toBe(false);
      request.event({ type: HttpEventType.UploadProgress, loaded: 220, total: 220 });
      expect(upload.processing()).toBe(true);
      request.flush(attachmentDto('a1'));
      expect(upload.state()).toBe('done');
      expect(upload.attachment()?.id).toBe('a1');
      expect(await upload.result()).toEqual(attachmentDto('a1'));
    });

    it('refuses files over the limits before uploading, and says why', async () => {
      await add([file('big.bin', 1001), file('ok.txt')]);
      expect(sut.tray().map((upload) => upload.name)).toEqual(['ok.txt']);
      expect(sut.notices()).toEqual(['“big.bin” is too large (1001 bytes): files may be at most 1000 bytes.']);
      (await nextUpload()).flush(attachmentDto('a1'));

      await add([file('2'), file('3'), file('4')]);
      expect(sut.tray()).toHaveLength(3);
      expect(sut.notices()).toEqual(['A message can carry at most 3 attachments: 1 file was left out.']);
      for (const request of uploads()) request.flush(attachmentDto('x'));
      sut.dismissNotices();
      expect(sut.notices()).toEqual([]);
    });

    it('uploads two files at a time; the next starts when one ends', async () => {
      await add([file('1'), file('2'), file('3')]);
      const first = uploads();
      expect(first).toHaveLength(2);
      expect(sut.tray()[2].state()).toBe('queued');
      first[0].flush(attachmentDto('a1'));
      const [third] = uploads();
      expect(((third.request.body as FormData).get('file') as File).name).toBe('3');
      first[1].flush(attachmentDto('a2'));
      third.flush(attachmentDto('a3'));
    });
  });

  describe('remove', () => {
    it('cancels the request of an upload in progress and takes it out of the tray', async () => {
      await add([file('a.txt')]);
      const [upload] = sut.tray();
      const request = await nextUpload();
      sut.remove(upload);
      expect(request.cancelled).toBe(true);
      expect(upload.state()).toBe('cancelled');
      expect(await upload.result()).toBeNull();
      expect(sut.empty()).toBe(true);
    });

    it('lets a waiting upload start in the place of a cancelled one', async () => {
      await add([file('1'), file('2'), file('3')]);
      const [first, second] = uploads();
      sut.remove(sut.tray()[0]);
      expect(first.cancelled).toBe(true);
      const started = uploads();
      expect(started).toHaveLength(1);
      second.flush(attachmentDto('a2'));
      started[0].flush(attachmentDto('a3'));
    });
  });

  describe('failures', () => {
    it('shows the server\'s refusal in words, and uploads again on retry', async () => {
      await add([file('photo.png', 10, 'image/png')]);
      const [upload] = sut.tray();
      expect(upload.kind).toBe('image');
      (await nextUpload()).flush({ statusCode: 415, code: 'NOT_AN_IMAGE', message: 'x' }, { status: 415, statusText: 'Unsupported Media Type' });
      expect(upload.state()).toBe('failed');
      expect(upload.error()).toBe('This file is not an image, although its name or type says so.');
      await expect(upload.result()).rejects.toBeTruthy();

      upload.retry();
      expect(upload.error()).toBeNull();
      (await nextUpload()).flush(attachmentDto('a1', { kind: 'image' }));
      expect(upload.state()).toBe('done');
    });
  });

  describe('take and clear', () => {
    it('take empties the tray without stopping the uploads; clear cancels them', async () => {
      await add([file('1'), file('2')]);
      const taken = sut.take();
      expect(sut.empty()).toBe(true);
      expect(taken.every((upload) => upload.state() === 'uploading')).toBe(true);

      await add([file('3')]);
      const [third] = sut.tray();
      expect(third.state()).toBe('queued');
      const requests = uploads();
      sut.clear();
      expect(third.state()).toBe('cancelled');
      expect(taken.every((upload) => upload.state() === 'uploading')).toBe(true);
      for (const request of requests) request.flush(attachmentDto('a'));
      expect(taken.every((upload) => upload.state() === 'done')).toBe(true);
      expect(uploads()).toHaveLength(0);
    });
  });

  describe('uploadedAttachments', () => {
    it('waits for every upload, retries failed ones and leaves out cancelled ones', async () => {
      await add([file('1'), file('2')]);
      const [one, two] = sut.take();
      const [first, second] = uploads();
      first.flush(null, { status: 503, statusText: 'Service Unavailable' });
      expect(one.state()).toBe('failed');
      second.flush(attachmentDto('a2'));

      const result = uploadedAttachments([one, two]);
      (await nextUpload()).flush(attachmentDto('a1'));
      expect((await result).map((attachment) => attachment.id)).toEqual(['a1', 'a2']);

      await add([file('3')]);
      const [three] = sut.take();
      const pending = uploadedAttachments([three]);
      const request = await nextUpload();
      three.cancel();
      expect(request.cancelled).toBe(true);
      expect(await pending).toEqual([]);
    });

    it('rejects when an upload fails', async () => {
      await add([file('1')]);
      const [one] = sut.take();
      const result = uploadedAttachments([one]);
      (await nextUpload()).flush({ code: 'SERVER_BUSY' }, { status: 503, statusText: 'Service Unavailable' });
      await expect(result).rejects.toBeTruthy();
      expect(one.error()).toBe('The server is busy right now. Try again in a moment.');
    });
  });
});
