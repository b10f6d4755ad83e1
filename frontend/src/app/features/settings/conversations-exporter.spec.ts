import { HttpClient, HttpErrorResponse, provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import type { ConversationPageDto } from '../../../sdk/models/conversation-page-dto';
import type { MessageDto } from '../../../sdk/models/message-dto';
import type { MessagePageDto } from '../../../sdk/models/message-page-dto';
import { decryptFile, encryptFile } from '../../core/crypto/attachment-crypto';
import type { DecryptResult, EncryptedMessage } from '../../core/crypto/crypto-service';
import type { EncryptedAttachmentInfo, MessageContent } from '../../core/crypto/message-content';
import { attachmentDto } from '../chats/attachments/attachment.fixtures';
import { message } from '../chats/message.fixtures';
import {
  type ConversationsExportOptions,
  type ExportedConversation,
  type ExportProgress,
  type ExportSource,
  exportConversations,
  safeFileName,
  sdkExportSource,
} from './conversations-exporter';
import { unzipBlob } from './zip.fixtures';

const NOW = new Date('2026-12-06T08:00:00.000Z');
const PAGE = 2;

function conversation(id: string, overrides: Partial<ConversationDto> = {}): ConversationDto {
  return {
    id,
    encrypted: true,
    peer: { id: 'u2', username: 'bob', displayName: 'Bob', avatarVersion: null },
    muted: false,
    defaultExpiresInSeconds: null,
    defaultExpiryMode: 'afterSend',
    lastActivityAt: '2026-12-01T10:00:00.000Z',
    lastMessage: null,
    peerLastReadSeq: 0,
    unreadCount: 0,
    readOnly: null,
    ...overrides,
  };
}

/** The API in memory: conversations a page of one, histories in pages of two, read backwards by `before`. */
class FakeSource implements ExportSource {
  readonly historyCalls: { id: string; before: number | null }[] = [];
  readonly downloads: string[] = [];
  onHistory: (() => void) | null = null;

  constructor(
    private readonly conversationList: ConversationDto[],
    private readonly histories: Record<string, MessageDto[]>,
    private readonly files: Record<string, Blob | Error> = {},
  ) {}

  async conversations(cursor: string | null): Promise<ConversationPageDto> {
    const index = cursor === null ? 0 : Number(cursor);
    const next = index + 1 < this.conversationList.length ? String(index + 1) : null;
    return { items: this.conversationList.slice(index, index + 1), nextCursor: next };
  }

  async history(id: string, before: number | null): Promise<MessagePageDto> {
    this.historyCalls.push({ id, before });
    this.onHistory?.();
    const older = (this.histories[id] ?? []).filter((m) => before === null || m.seq < before);
    const items = older.slice(-PAGE);
    return { items, nextCursor: older.length > PAGE ? String(items[0].seq) : null };
  }

  async download(id: string): Promise<Blob> {
    this.downloads.push(id);
    const file = this.files[id];
    if (file instanceof Error) throw file;
    if (!file) throw new HttpErrorResponse({ status: 404, statusText: 'Not Found' });
    return file;
  }
}

/** Decrypts what it was told the content of; anything else has no key on this device. */
class FakeCrypto {
  readonly contents = new Map<string, MessageContent>();
  readonly decrypted: string[] = [];

  async decrypt(encrypted: EncryptedMessage): Promise<DecryptResult> {
    this.decrypted.push(encrypted.id);
    const content = this.contents.get(encrypted.id);
    if (content) return { kind: 'ok', content, senderDeviceId: 'd2' };
    return { kind: 'undecryptable', reason: 'no-key', message: 'Sent before this device signed in' };
  }
}

const CIPHERTEXT = { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgA', session_id: 's', sender_key: 'k', device_id: 'd2' };

function encrypted(id: string, seq: number, overrides: Partial<MessageDto> = {}): MessageDto {
  return message({ id, seq, conversationId: 'c1', body: null, ciphertext: CIPHERTEXT as MessageDto['ciphertext'], ...overrides });
}

async function encryptedAttachment(id: string, name: string, bytes: Uint8Array<ArrayBuffer>): Promise<{ info: EncryptedAttachmentInfo; blob: Blob }> {
  const { ciphertext, info } = await encryptFile(bytes);
  return { info: { id, ...info, mimetype: 'image/jpeg', name, size: bytes.length }, blob: new Blob([ciphertext]) };
}

function options(source: ExportSource, crypto: FakeCrypto | null, overrides: Partial<ConversationsExportOptions> = {}): ConversationsExportOptions {
  return {
    source,
    crypto,
    decryptFile,
    user: { id: 'u1', username: 'alice', displayName: 'Alice' },
    device: { id: 'session-1', description: 'Test browser' },
    now: () => NOW,
    ...overrides,
  };
}

async function conversationIn(files: Map<string, Uint8Array>, id: string): Promise<ExportedConversation> {
  const json = files.get(`conversations/${id}.json`);
  if (!json) throw new Error(`No conversations/${id}.json in ${[...files.keys()].join(', ')}`);
  return JSON.parse(new TextDecoder().decode(json)) as ExportedConversation;
}

describe('exportConversations', () => {
  describe('paging', () => {
    it('reads every conversation and each whole history backwards by seq, and writes them oldest first', async () => {
      const history = [1, 2, 3, 4, 5].map((seq) => message({ id: `m${seq}`, seq, body: `Message ${seq}` }));
      const source = new FakeSource([conversation('c1', { encrypted: false }), conversation('c2', { encrypted: false, peer: null })], {
        c1: history,
        c2: [message({ id: 'n1', seq: 1, conversationId: 'c2', body: 'Other' })],
      });

      const result = await exportConversations(options(source, new FakeCrypto()));

      expect(source.historyCalls).toEqual([
        { id: 'c1', before: null },
        { id: 'c1', before: 4 },
        { id: 'c1', before: 2 },
        { id: 'c2', before: null },
      ]);
      const files = await unzipBlob(result.blob);
      const c1 = await conversationIn(files, 'c1');
      expect(c1.messages.map((m) => [m.seq, m.content?.body])).toEqual([1, 2, 3, 4, 5].map((seq) => [seq, `Message ${seq}`]));
      expect(c1.peer).toEqual({ id: 'u2', username: 'bob', displayName: 'Bob' });
      expect((await conversationIn(files, 'c2')).peer).toBeNull();
      expect(result.progress).toEqual({ conversationsTotal: 2, conversationsDone: 2, messages: 6, files: 0, filesFailed: 0 });
      expect(result.fileName).toBe('iris-conversations-alice-2026-12-06.zip');
    });

    it('reports progress as conversations are done', async () => {
      const source = new FakeSource([conversation('c1'), conversation('c2')], {});
      const seen: ExportProgress[] = [];

      await exportConversations(options(source, new FakeCrypto(), { onProgress: (progress) => seen.push(progress) }));

      expect(seen.map((p) => [p.conversationsDone, p.conversationsTotal])).toEqual([
        [0, null],
        [0, 2],
        [1, 2],
        [2, 2],
      ]);
    });
  });

  describe('messages', () => {
    it('decrypts encrypted messages and lists those this device cannot read with the reason, not their content', async () => {
      const crypto = new FakeCrypto();
      crypto.contents.set('e2', { type: 'text', body: 'The canary sings', inReplyTo: 'e1' });
      crypto.contents.set('e3', { type: 'reaction', key: '👍' });
      const source = new FakeSource([conversation('c1')], {
        c1: [encrypted('e1', 1), encrypted('e2', 2, { relatesTo: 'e1' }), encrypted('e3', 3, { kind: 'reaction', relatesTo: 'e2' })],
      });

      const result = await exportConversations(options(source, crypto));

      const { messages, encrypted: isEncrypted } = await conversationIn(await unzipBlob(result.blob), 'c1');
      expect(isEncrypted).toBe(true);
      expect(messages[0]).toEqual({
        id: 'e1',
        seq: 1,
        senderId: 'u2',
        createdAt: '2026-01-01T10:00:00.000Z',
        editedAt: null,
        deleted: false,
        kind: 'message',
        relatesTo: null,
        undecryptable: { reason: 'no-key', message: 'Sent before this device signed in' },
        attachments: [],
      });
      expect(messages[1].content).toEqual({ type: 'text', body: 'The canary sings', inReplyTo: 'e1' });
      expect(messages[2]).toMatchObject({ kind: 'reaction', relatesTo: 'e2', content: { type: 'reaction', key: '👍' } });
      expect(result.undecryptable).toBe(1);
      const json = new TextDecoder().decode((await unzipBlob(result.blob)).get('conversations/c1.json'));
      expect(json).not.toContain('AwgA');
    });

    it('maps plaintext messages through the content model, keeps deleted ones as tombstones and leaves expired ones out', async () => {
      const source = new FakeSource([conversation('c1', { encrypted: false })], {
        c1: [
          message({ id: 'p1', seq: 1, body: 'Plain' }),
          message({ id: 'p2', seq: 2, kind: 'reaction', body: '🎉', relatesTo: 'p1' }),
          message({ id: 'p3', seq: 3, body: null, deleted: true }),
          message({ id: 'p4', seq: 4, body: 'Gone', expiresAt: '2026-12-06T07:59:59.000Z' }),
          message({ id: 'p5', seq: 5, body: 'Still here', expiresAt: '2026-12-06T09:00:00.000Z' }),
        ],
      });
      const crypto = new FakeCrypto();

      const result = await exportConversations(options(source, crypto));

      const { messages } = await conversationIn(await unzipBlob(result.blob), 'c1');
      expect(messages.map((m) => [m.id, m.content])).toEqual([
        ['p1', { type: 'text', body: 'Plain' }],
        ['p2', { type: 'reaction', key: '🎉' }],
        ['p3', null],
        ['p5', { type: 'text', body: 'Still here' }],
      ]);
      expect(crypto.decrypted).toEqual([]);
    });

    it('says why when the device cannot decrypt at all', async () => {
      const source = new FakeSource([conversation('c1')], { c1: [encrypted('e1', 1)] });

      const result = await exportConversations(options(source, null, { cryptoUnavailable: 'Iris is open in another tab of this browser.' }));

      const { messages } = await conversationIn(await unzipBlob(result.blob), 'c1');
      expect(messages[0].undecryptable).toEqual({ reason: 'no-device', message: 'Iris is open in another tab of this browser.' });
    });
  });

  describe('attachments', () => {
    it('decrypts encrypted files, takes plaintext ones as they are, and names them after the message', async () => {
      const photo = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
      const second = new Uint8Array([9, 9]);
      const a = await encryptedAttachment('f1', 'holiday/photo.jpg', photo);
      const b = await encryptedAttachment('f2', 'notes.txt', second);
      const crypto = new FakeCrypto();
      crypto.contents.set('e1', { type: 'text', body: 'Look', attachments: [a.info, b.info] });
      const source = new FakeSource(
        [conversation('c1'), conversation('c2', { encrypted: false })],
        {
          c1: [encrypted('e1', 1)],
          c2: [message({ id: 'p1', seq: 1, conversationId: 'c2', body: null, attachments: [attachmentDto('f3', { name: 'report.pdf', mimeType: 'application/pdf', size: 3 })] })],
        },
        { f1: a.blob, f2: b.blob, f3: new Blob([new Uint8Array([1, 2, 3])]) },
      );

      const result = await exportConversations(options(source, crypto));

      const files = await unzipBlob(result.blob);
      expect(files.get('files/e1-1-holiday_photo.jpg')).toEqual(photo);
      expect(files.get('files/e1-2-notes.txt')).toEqual(second);
      expect(files.get('files/p1-1-report.pdf')).toEqual(new Uint8Array([1, 2, 3]));
      const { messages } = await conversationIn(files, 'c1');
      expect(messages[0].content).toEqual({ type: 'text', body: 'Look' });
      expect(messages[0].attachments).toEqual([
        { file: 'files/e1-1-holiday_photo.jpg', name: 'holiday/photo.jpg', mimeType: 'image/jpeg', size: 7 },
        { file: 'files/e1-2-notes.txt', name: 'notes.txt', mimeType: 'image/jpeg', size: 2 },
      ]);
      expect((await conversationIn(files, 'c2')).messages[0].attachments).toEqual([
        { file: 'files/p1-1-report.pdf', name: 'report.pdf', mimeType: 'application/pdf', size: 3 },
      ]);
      expect(new TextDecoder().decode(files.get('conversations/c1.json'))).not.toContain(a.info.key.k);
      expect(result.progress.files).toBe(3);
    });

    it('lists a file that fails its hash or is gone with the reason instead', async () => {
      const a = await encryptedAttachment('f1', 'photo.jpg', new Uint8Array([1, 2, 3, 4]));
      const b = await encryptedAttachment('f2', 'gone.jpg', new Uint8Array([5]));
      const tampered = new Uint8Array(await a.blob.arrayBuffer());
      tampered[0] ^= 1;
      const crypto = new FakeCrypto();
      crypto.contents.set('e1', { type: 'text', attachments: [a.info, b.info] });
      const source = new FakeSource([conversation('c1')], { c1: [encrypted('e1', 1)] }, { f1: new Blob([tampered]) });

      const result = await exportConversations(options(source, crypto));

      const files = await unzipBlob(result.blob);
      expect([...files.keys()].filter((name) => name.startsWith('files/'))).toEqual([]);
      expect((await conversationIn(files, 'c1')).messages[0].attachments).toEqual([
        { name: 'photo.jpg', mimeType: 'image/jpeg', size: 4, unavailable: 'The file does not match its hash: it was changed or damaged after it was sent' },
        { name: 'gone.jpg', mimeType: 'image/jpeg', size: 1, unavailable: 'The file is no longer on the server' },
      ]);
      expect(result.progress).toMatchObject({ files: 0, filesFailed: 2 });
    });
  });

  describe('cancel', () => {
    it('stops with the abort reason and asks the server for nothing more', async () => {
      const controller = new AbortController();
      const source = new FakeSource([conversation('c1'), conversation('c2')], { c1: [1, 2, 3].map((seq) => message({ id: `m${seq}`, seq })) });
      source.onHistory = () => controller.abort(new DOMException('Cancelled', 'AbortError'));

      await expect(exportConversations(options(source, new FakeCrypto(), { signal: controller.signal }))).rejects.toMatchObject({ name: 'AbortError' });
      expect(source.historyCalls).toEqual([{ id: 'c1', before: null }]);
    });
  });

  describe('README.txt', () => {
    it('says what it is, its format, the device and time it was made on, and how unreadable messages appear', async () => {
      const source = new FakeSource([conversation('c1')], { c1: [encrypted('e1', 1)] });

      const result = await exportConversations(options(source, new FakeCrypto()));

      const readme = new TextDecoder().decode((await unzipBlob(result.blob)).get('README.txt'));
      expect(readme).toContain('Format:    iris-conversations/1');
      expect(readme).toContain('Made at:   2026-12-06T08:00:00.000Z');
      expect(readme).toContain('On device: session-1 (this sign-in; Test browser)');
      expect(readme).toContain('"undecryptable": { reason, message }');
      expect(readme).toContain('Messages:      1 (1 could not be read on this device)');
    });
  });
});

describe('safeFileName', () => {
  it('keeps ordinary names and replaces folders and reserved characters', () => {
    expect(safeFileName('photo.jpg')).toBe('photo.jpg');
    expect(safeFileName('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeFileName('a:b*c?"<>|\\d.txt')).toBe('a_b_c______d.txt');
    expect(safeFileName('...')).toBe('file');
  });

  it('shortens long names to 100 characters, keeping the extension', () => {
    const name = safeFileName('x'.repeat(300) + '.jpeg');
    expect(name).toHaveLength(100);
    expect(name.endsWith('x.jpeg')).toBe(true);
  });
});

describe('sdkExportSource', () => {
  let http: HttpTestingController;
  let sut: ExportSource;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    sut = sdkExportSource(TestBed.inject(HttpClient), '');
  });

  afterEach(() => http.verify());

  it('pages history with before and a full page', async () => {
    const page = sut.history('c1', 41, new AbortController().signal);
    const request = http.expectOne((r) => r.url === '/api/conversations/c1/messages');
    expect(request.request.params.get('before')).toBe('41');
    expect(request.request.params.get('limit')).toBe('100');
    request.flush({ items: [], nextCursor: null });
    expect(await page).toEqual({ items: [], nextCursor: null });
  });

  it('cancels the request when the signal aborts', async () => {
    const controller = new AbortController();
    const download = sut.download('f1', controller.signal);
    const request = http.expectOne('/api/attachments/f1');
    controller.abort(new DOMException('Cancelled', 'AbortError'));
    await expect(download).rejects.toMatchObject({ name: 'AbortError' });
    expect(request.cancelled).toBe(true);
  });
});
