import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import type { MessageDto } from '../../../sdk/models/message-dto';
import type { FakeRealtime } from '../../core/realtime.fixtures';
import { answerNotices, type ConversationStoreSetup, nextRequest, openConversation, setUpConversationStore } from './conversation-store.fixtures';
import type { ConversationStore } from './conversation-store';
import { message } from './message.fixtures';
import { attachmentDto } from './attachments/attachment.fixtures';
import { type Upload, UploadsStore } from './attachments/uploads-store';

describe('ConversationStore attachments', () => {
  let setup: ConversationStoreSetup;
  let sut: ConversationStore;
  let http: HttpTestingController;
  let realtime: FakeRealtime;
  let toasts: ConversationStoreSetup['toasts'];

  const next = (match: (url: string) => boolean) => nextRequest(setup.http, match);
  const open = (messages: MessageDto[], nextCursor: string | null = null, conversation: object = {}) =>
    openConversation(setup, messages, nextCursor, conversation);

  beforeEach(() => {
    setup = setUpConversationStore();
    ({ sut, http, realtime, toasts } = setup);
  });

  afterEach(() => {
    answerNotices(http);
    http.verify();
    vi.useRealTimers();
  });

  const uploadRequests = () => http.match((request) => request.url === '/api/attachments' && request.method === 'POST');

  async function pick(names: string[]): Promise<Upload[]> {
    const uploads = TestBed.inject(UploadsStore);
    const adding = uploads.add(names.map((name) => new File(['x'], name, { type: 'text/plain' })));
    (await next((url) => url === '/api/attachments/config')).flush({ maxUploadBytes: 1000, maxAttachmentsPerMessage: 10 });
    await adding;
    return uploads.take();
  }

  it('shows the message with its uploads at once and sends it with their ids, in order, once they are done', async () => {
    sut.setVisibility(() => false);
    await open([]);
    const uploads = await pick(['a.txt', 'b.txt']);
    const sending = sut.send('', uploads);
    expect(sut.messages()[0]).toMatchObject({ state: 'pending', uploads, message: { body: null, attachments: [] } });
    const [a, b] = uploadRequests();
    b.flush(attachmentDto('a2'));
    http.expectNone('/api/conversations/c1/messages');
    a.flush(attachmentDto('a1'));
    const send = await next((url) => url === '/api/conversations/c1/messages');
    expect(send.request.body).toEqual({ clientId: sut.messages()[0].message.clientId, body: null, expiresInSeconds: null, attachmentIds: ['a1', 'a2'] });
    send.flush(message({ id: 'm5', senderId: 'u1', clientId: send.request.body.clientId, body: null, attachments: [attachmentDto('a1'), attachmentDto('a2')], seq: 5 }));
    await sending;
    await vi.waitFor(() => expect(sut.messages()[0].state).toBe('sent'));
    expect(sut.messages()[0].uploads).toBeUndefined();
    expect(sut.messages()[0].message.attachments.map((attachment) => attachment.id)).toEqual(['a1', 'a2']);
  });

  it('marks the message not sent when an upload fails; retry uploads it again and sends with the same clientId', async () => {
    sut.setVisibility(() => false);
    await open([]);
    const uploads = await pick(['a.txt']);
    const sending = sut.send('Here', uploads);
    uploadRequests()[0].flush({ code: 'SERVER_BUSY' }, { status: 503, statusText: 'Service Unavailable' });
    await sending;
    expect(sut.messages()[0].state).toBe('failed');
    const clientId = sut.messages()[0].message.clientId;

    const retrying = sut.retry(clientId);
    let again: ReturnType<typeof uploadRequests> = [];
    await vi.waitFor(() => {
      again = uploadRequests();
      expect(again).toHaveLength(1);
    });
    again[0].flush(attachmentDto('a9'));
    const send = await next((url) => url === '/api/conversations/c1/messages');
    expect(send.request.body).toEqual({ clientId, body: 'Here', expiresInSeconds: null, attachmentIds: ['a9'] });
    send.flush(message({ id: 'm6', senderId: 'u1', clientId, body: 'Here', attachments: [attachmentDto('a9')], seq: 6 }));
    await retrying;
    await vi.waitFor(() => expect(sut.messages()[0].state).toBe('sent'));
    expect(sut.messages()).toHaveLength(1);
  });

  it('drops a message not sent, without text, once its failed upload is given up', async () => {
    sut.setVisibility(() => false);
    await open([]);
    const [upload] = await pick(['a.txt']);
    const sending = sut.send('', [upload]);
    uploadRequests()[0].flush(null, { status: 500, statusText: 'Server Error' });
    await sending;
    expect(sut.messages()[0].state).toBe('failed');
    sut.discardIfEmpty(sut.messages()[0].message.clientId);
    expect(sut.messages()).toHaveLength(1);

    upload.cancel();
    expect(upload.state()).toBe('cancelled');
    expect(await upload.result()).toBeNull();
    sut.discardIfEmpty(sut.messages()[0].message.clientId);
    expect(sut.messages()).toEqual([]);
  });

  it('drops a message without text whose every upload was cancelled', async () => {
    sut.setVisibility(() => false);
    await open([]);
    const [upload] = await pick(['a.txt']);
    const sending = sut.send('', [upload]);
    const [request] = uploadRequests();
    upload.cancel();
    expect(request.cancelled).toBe(true);
    await sending;
    expect(sut.messages()).toEqual([]);
    http.expectNone('/api/conversations/c1/messages');
  });
});
