import type { AttachmentConfigDto } from '../../../../sdk/models/attachment-config-dto';
import { checkFiles } from './attachment-config';

const config: AttachmentConfigDto = {
  maxUploadBytes: 1024 * 1024,
  maxAttachmentsPerMessage: 3,
  maxImagePixels: 33_000_000,
  kinds: ['image', 'video', 'audio', 'file'],
  unattachedRetentionHours: 24,
};

function file(name: string, size: number): File {
  return new File([new Uint8Array(size)], name);
}

describe('checkFiles', () => {
  it('accepts files within the limits', () => {
    const files = [file('a.png', 10), file('b.pdf', 1024 * 1024)];
    expect(checkFiles(files, config, 0)).toEqual({ accepted: files, refused: [] });
  });

  it('refuses a file over the size limit and an empty one, saying why', () => {
    const small = file('small.txt', 5);
    const { accepted, refused } = checkFiles([file('big.mov', 1024 * 1024 + 1), small, file('empty.txt', 0)], config, 0);
    expect(accepted).toEqual([small]);
    expect(refused).toEqual(['“big.mov” is too large (1 MB): files may be at most 1 MB.', '“empty.txt” is empty.']);
  });

  it('leaves out what does not fit in one message, counting the files already picked', () => {
    const files = [file('1', 1), file('2', 1), file('3', 1)];
    expect(checkFiles(files, config, 1)).toEqual({
      accepted: files.slice(0, 2),
      refused: ['A message can carry at most 3 attachments: 1 file was left out.'],
    });
    expect(checkFiles(files, config, 3).refused).toEqual(['A message can carry at most 3 attachments: 3 files were left out.']);
  });

  it('lets everything but empty files through when the limits are unknown (the server still checks)', () => {
    const big = file('big', 5 * 1024 * 1024);
    expect(checkFiles([big, file('e', 0)], null, 50)).toEqual({ accepted: [big], refused: ['“e” is empty.'] });
  });
});
