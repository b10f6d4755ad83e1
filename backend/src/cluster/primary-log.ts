import type { LogLevel } from '../config/app-config.js';

const ORDER: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export interface PrimaryLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The primary's log, shaped like Nest's, without loading Nest (the primary stays small). */
export function primaryLog(level: LogLevel): PrimaryLog {
  const upTo = ORDER.indexOf(level);
  const write = (at: LogLevel, label: string, message: string) => {
    if (upTo < 0 || ORDER.indexOf(at) > upTo) return;
    const line = `[Iris] ${process.pid}  - ${new Date().toISOString()} ${label.padStart(7)} [Workers] ${message}\n`;
    (at === 'info' ? process.stdout : process.stderr).write(line);
  };
  return {
    log: (message) => write('info', 'LOG', message),
    warn: (message) => write('warn', 'WARN', message),
    error: (message) => write('error', 'ERROR', message),
  };
}
