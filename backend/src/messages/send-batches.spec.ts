import { jest } from '@jest/globals';
import { SendBatches } from './send-batches.js';

type Send = { conversation: string; text: string };

/** A runner whose statements finish only when the test says so. */
function gatedRunner() {
  const statements: { kind: 'one' | 'many'; sends: Send[]; finish: (error?: Error) => void }[] = [];
  const statement = <R>(kind: 'one' | 'many', sends: Send[], answer: () => R) =>
    new Promise<R>((resolve, reject) => {
      statements.push({ kind, sends, finish: (error) => (error ? reject(error) : resolve(answer())) });
    });
  const runner = {
    one: jest.fn((send: Send) => statement('one', [send], () => `sent ${send.text}`)),
    many: jest.fn((sends: Send[]) => statement('many', sends, () => sends.map((send) => `sent ${send.text} together`))),
  };
  return { runner, statements };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const send = (conversation: string, text: string): Send => ({ conversation, text });

describe('SendBatches', () => {
  it('sends at once and alone while fewer than maxInFlight statements are out', async () => {
    const { runner, statements } = gatedRunner();
    const batches = new SendBatches(runner, { maxInFlight: 2, maxBatch: 10, slowMs: 60_000, gatherTurn: false }, (s: Send) => s.conversation);

    const first = batches.send(send('c1', 'a'));
    const second = batches.send(send('c2', 'b'));

    expect(statements.map((s) => s.kind)).toEqual(['one', 'one']);
    statements.forEach((s) => s.finish());
    await expect(first).resolves.toBe('sent a');
    await expect(second).resolves.toBe('sent b');
    expect(runner.many).not.toHaveBeenCalled();
  });

  it('groups the sends that wait for a free statement, in the order of their conversations and arrival', async () => {
    const { runner, statements } = gatedRunner();
    const batches = new SendBatches(runner, { maxInFlight: 1, maxBatch: 10, slowMs: 60_000, gatherTurn: false }, (s: Send) => s.conversation);

    const lone = batches.send(send('c9', 'lone'));
    const waiting = [batches.send(send('c3', 'x1')), batches.send(send('c1', 'y')), batches.send(send('c3', 'x2'))];
    expect(statements).toHaveLength(1);

    statements[0].finish();
    await expect(lone).resolves.toBe('sent lone');
    await flush();

    expect(statements).toHaveLength(2);
    expect(statements[1].kind).toBe('many');
    expect(statements[1].sends.map((s) => s.text)).toEqual(['y', 'x1', 'x2']);
    statements[1].finish();
    // Each caller gets its own answer, whatever its place in the statement.
    await expect(Promise.all(waiting)).resolves.toEqual(['sent x1 together', 'sent y together', 'sent x2 together']);
  });

  it('puts at most maxBatch sends in one statement and keeps the rest for the next', async () => {
    const { runner, statements } = gatedRunner();
    const batches = new SendBatches(runner, { maxInFlight: 1, maxBatch: 2, slowMs: 60_000, gatherTurn: false }, (s: Send) => s.conversation);

    void batches.send(send('c0', 'first'));
    const rest = ['a', 'b', 'c'].map((text) => batches.send(send('c1', text)));
    statements[0].finish();
    await flush();
    expect(statements[1].sends.map((s) => s.text)).toEqual(['a', 'b']);
    statements[1].finish();
    await flush();
    expect(statements[2]).toMatchObject({ kind: 'one', sends: [{ text: 'c' }] });
    statements[2].finish();

    await expect(Promise.all(rest)).resolves.toEqual(['sent a together', 'sent b together', 'sent c']);
  });

  it('runs each send of a failed statement again alone, so that only the send that fails alone fails', async () => {
    const { runner, statements } = gatedRunner();
    const batches = new SendBatches(runner, { maxInFlight: 1, maxBatch: 10, slowMs: 60_000, gatherTurn: false }, (s: Send) => s.conversation);

    void batches.send(send('c0', 'first'));
    const good = batches.send(send('c1', 'good'));
    const bad = batches.send(send('c2', 'bad'));
    statements[0].finish();
    await flush();
    statements[1].finish(new Error('IR409'));
    await flush();

    expect(statements.slice(2).map((s) => [s.kind, s.sends[0].text])).toEqual([
      ['one', 'good'],
      ['one', 'bad'],
    ]);
    statements[2].finish();
    statements[3].finish(new Error('duplicate clientId'));
    await expect(good).resolves.toBe('sent good');
    await expect(bad).rejects.toThrow('duplicate clientId');
  });

  it('treats an answer with a missing row as a failed statement', async () => {
    const runner = {
      one: jest.fn(async (s: Send) => `sent ${s.text}`),
      many: jest.fn(async (sends: Send[]) => sends.slice(1).map((s) => `sent ${s.text} together`)),
    };
    let release!: () => void;
    runner.one.mockImplementationOnce((s: Send) => new Promise((resolve) => (release = () => resolve(`sent ${s.text}`))));
    const batches = new SendBatches(runner, { maxInFlight: 1, maxBatch: 10, slowMs: 60_000, gatherTurn: false }, (s: Send) => s.conversation);

    void batches.send(send('c0', 'first'));
    const waiting = [batches.send(send('c1', 'a')), batches.send(send('c2', 'b'))];
    release();

    await expect(Promise.all(waiting)).resolves.toEqual(['sent a', 'sent b']);
  });

  it('frees the statement of a failed lone send for the sends waiting behind it', async () => {
    const { runner, statements } = gatedRunner();
    const batches = new SendBatches(runner, { maxInFlight: 1, maxBatch: 10, slowMs: 60_000, gatherTurn: false }, (s: Send) => s.conversation);

    const lone = batches.send(send('c0', 'lone'));
    const next = batches.send(send('c1', 'next'));
    statements[0].finish(new Error('connection lost'));
    await expect(lone).rejects.toThrow('connection lost');
    await flush();
    statements[1].finish();
    await expect(next).resolves.toBe('sent next');
  });

  it('with gatherTurn, sends what came in during the turn together at its end, even with no statement out', async () => {
    const { runner, statements } = gatedRunner();
    const batches = new SendBatches(runner, { maxInFlight: 1, maxBatch: 10, slowMs: 60_000, gatherTurn: true }, (s: Send) => s.conversation);

    const sent = [batches.send(send('c2', 'a')), batches.send(send('c1', 'b'))];
    expect(statements).toHaveLength(0);
    await flush();

    expect(statements.map((s) => [s.kind, s.sends.map((one) => one.text)])).toEqual([['many', ['b', 'a']]]);
    statements[0].finish();
    await expect(Promise.all(sent)).resolves.toEqual(['sent a together', 'sent b together']);
    const lone = batches.send(send('c3', 'later'));
    await flush();
    expect(statements[1]).toMatchObject({ kind: 'one', sends: [{ text: 'later' }] });
    statements[1].finish();
    await expect(lone).resolves.toBe('sent later');
  });

  it('runs the sends of a failed statement again one at a time per conversation, in order, with `again`', async () => {
    const { runner, statements } = gatedRunner();
    const again = jest.fn((one: Send) => runner.one(one).then((answer) => `${answer} again`));
    const batches = new SendBatches({ ...runner, again }, { maxInFlight: 1, maxBatch: 10, slowMs: 60_000, gatherTurn: false }, (s: Send) => s.conversation);

    void batches.send(send('c0', 'first'));
    const sent = [batches.send(send('c1', 'a1')), batches.send(send('c2', 'b')), batches.send(send('c1', 'a2'))];
    statements[0].finish();
    await flush();
    statements[1].finish(new Error('lock timeout'));
    await flush();

    // c1's first and c2's go side by side; c1's second waits for c1's first.
    expect(statements.slice(2).map((s) => s.sends[0].text)).toEqual(['a1', 'b']);
    statements[2].finish();
    await flush();
    expect(statements.slice(2).map((s) => s.sends[0].text)).toEqual(['a1', 'b', 'a2']);
    statements[3].finish();
    statements[4].finish();
    await expect(Promise.all(sent)).resolves.toEqual(['sent a1 again', 'sent b again', 'sent a2 again']);
    expect(again).toHaveBeenCalledTimes(3);
  });

  it('stops counting a statement that is out longer than slowMs, so later sends do not queue behind its lock wait', async () => {
    const { runner, statements } = gatedRunner();
    const batches = new SendBatches(runner, { maxInFlight: 1, maxBatch: 10, slowMs: 20, gatherTurn: false }, (s: Send) => s.conversation);

    const stuck = batches.send(send('c0', 'waits on a lock'));
    const next = batches.send(send('c1', 'next'));
    expect(statements).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 40));

    expect(statements.map((s) => s.sends[0].text)).toEqual(['waits on a lock', 'next']);
    statements[1].finish();
    await expect(next).resolves.toBe('sent next');
    // Once back, the slow one frees nothing twice: one statement out at most again.
    statements[0].finish();
    await expect(stuck).resolves.toBe('sent waits on a lock');
    const later = [batches.send(send('c2', 'x')), batches.send(send('c3', 'y'))];
    expect(statements).toHaveLength(3);
    statements[2].finish();
    await flush();
    statements[3].finish();
    await expect(Promise.all(later)).resolves.toEqual(['sent x', 'sent y']);
  });
});
