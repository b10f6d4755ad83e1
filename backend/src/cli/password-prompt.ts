import { StringDecoder } from 'node:string_decoder';
import { CliError } from './cli-context.js';

const ENTER = new Set(['\r', '\n']);
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const BACKSPACE = new Set(['\u007f', '\b']);

/**
 * The password typed at a terminal without echo (asked twice), or else the first line of the input,
 * so that `echo "$PASSWORD" | npm run admin:create -- --username NAME` works in scripts.
 */
export async function readPassword(input: NodeJS.ReadStream, prompts: NodeJS.WritableStream, label: string): Promise<string> {
  if (!input.isTTY) {
    const line = await readFirstLine(input);
    if (!line) throw new CliError('No password on standard input (the first line is read)');
    return line;
  }
  const password = await promptHidden(input, prompts, `Password for ${label}: `);
  const repeated = await promptHidden(input, prompts, 'Repeat the password: ');
  if (password !== repeated) throw new CliError('The two passwords differ; nothing was changed');
  return password;
}

/** The first line of a stream, without its line ending; reading stops there. */
export async function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  for await (const chunk of input) {
    text += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    const end = text.indexOf('\n');
    if (end >= 0) return text.slice(0, end).replace(/\r$/, '');
  }
  return (text + decoder.end()).replace(/\r$/, '');
}

function promptHidden(input: NodeJS.ReadStream, output: NodeJS.WritableStream, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      // Arrow keys and other escape sequences are not part of a password.
      if (chunk.startsWith('\u001b')) return;
      for (const char of chunk) {
        if (ENTER.has(char)) return finish();
        if (char === CTRL_C || (char === CTRL_D && value === '')) return finish(new CliError('Cancelled; nothing was changed'));
        if (char === CTRL_U) value = '';
        else if (BACKSPACE.has(char)) value = [...value].slice(0, -1).join('');
        else if (char >= ' ') value += char;
      }
    };
    // Raw mode (no echo) before the question, so that nothing typed right after it is shown.
    input.setRawMode(true);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.resume();
    output.write(question);
  });
}
