import { fileSize } from './file-size';

describe('fileSize', () => {
  it('says bytes below a kilobyte', () => {
    expect(fileSize(0)).toBe('0 bytes');
    expect(fileSize(1)).toBe('1 byte');
    expect(fileSize(1023)).toBe('1023 bytes');
  });

  it('keeps one decimal below 10 and rounds above', () => {
    expect(fileSize(2520)).toBe('2.5 KB');
    expect(fileSize(2.4 * 1024 * 1024)).toBe('2.4 MB');
    expect(fileSize(50 * 1024 * 1024)).toBe('50 MB');
    expect(fileSize(50 * 1024 * 1024 + 1)).toBe('50 MB');
    expect(fileSize(3 * 1024 ** 3)).toBe('3 GB');
  });

  it('moves to the next unit instead of saying 1024', () => {
    expect(fileSize(1024 * 1024 - 1)).toBe('1 MB');
  });
});
