/**
 * A store-only ZIP writer (APPNOTE 6.3: local file headers, central directory, end record; names in
 * UTF-8 with flag bit 11). Each entry's CRC-32 and size are known before its header is written, so
 * there are no data descriptors, and the archive is a Blob of parts: a file handed in as a Blob is
 * read once for its CRC and never copied into another buffer. No ZIP64: an archive that would pass
 * 4 GiB or 65,535 entries is refused with a `ZipLimitError`.
 */
export class ZipWriter {
  private readonly parts: BlobPart[] = [];
  private readonly central: Uint8Array<ArrayBuffer>[] = [];
  private readonly names = new Set<string>();
  private offset = 0;
  private centralSize = 0;
  private finished = false;

  /** `modified` is the time every entry carries (in the device's local time, as DOS times are). */
  constructor(private readonly modified: Date = new Date()) {}

  /** Bytes written so far (headers and data), for a caller that wants to say how big it is getting. */
  get size(): number {
    return this.offset;
  }

  /** Adds one file; a string is written as UTF-8. Names use `/` between folders and must be unique. */
  async add(name: string, data: string | Uint8Array<ArrayBuffer> | Blob): Promise<void> {
    if (this.finished) throw new Error('The zip is already finished');
    if (this.names.has(name)) throw new Error(`The zip already has an entry named ${name}`);
    const nameBytes = UTF8.encode(name);
    if (nameBytes.length === 0 || nameBytes.length > 0xffff) throw new Error('A zip entry name must be 1 to 65,535 bytes');
    if (this.central.length >= MAX_ENTRIES) throw new ZipLimitError();
    const body = typeof data === 'string' ? UTF8.encode(data) : data;
    const size = body instanceof Blob ? body.size : body.length;
    const headerSize = LOCAL_HEADER + nameBytes.length;
    // The central directory and end record come after the data and must still start below 4 GiB.
    const centralAfter = this.centralSize + CENTRAL_HEADER + nameBytes.length;
    if (this.offset + headerSize + size + centralAfter + END_RECORD > MAX_ZIP_BYTES) throw new ZipLimitError();
    const crc = body instanceof Blob ? await crc32OfBlob(body) : crc32(body);
    const { time, date } = dosDateTime(this.modified);

    const local = new Uint8Array(headerSize);
    const header = new DataView(local.buffer);
    header.setUint32(0, LOCAL_SIGNATURE, true);
    header.setUint16(4, VERSION_NEEDED, true);
    header.setUint16(6, UTF8_FLAG, true);
    header.setUint16(8, 0, true); // stored
    header.setUint16(10, time, true);
    header.setUint16(12, date, true);
    header.setUint32(14, crc, true);
    header.setUint32(18, size, true);
    header.setUint32(22, size, true);
    header.setUint16(26, nameBytes.length, true);
    header.setUint16(28, 0, true);
    local.set(nameBytes, LOCAL_HEADER);

    const entry = new Uint8Array(CENTRAL_HEADER + nameBytes.length);
    const record = new DataView(entry.buffer);
    record.setUint32(0, CENTRAL_SIGNATURE, true);
    record.setUint16(4, VERSION_MADE_BY, true);
    record.setUint16(6, VERSION_NEEDED, true);
    record.setUint16(8, UTF8_FLAG, true);
    record.setUint16(10, 0, true);
    record.setUint16(12, time, true);
    record.setUint16(14, date, true);
    record.setUint32(16, crc, true);
    record.setUint32(20, size, true);
    record.setUint32(24, size, true);
    record.setUint16(28, nameBytes.length, true);
    // Extra field, comment, disk number and internal attributes: all zero.
    record.setUint32(38, FILE_ATTRIBUTES, true);
    record.setUint32(42, this.offset, true);
    entry.set(nameBytes, CENTRAL_HEADER);

    this.parts.push(local, body);
    this.central.push(entry);
    this.names.add(name);
    this.offset += headerSize + size;
    this.centralSize += entry.length;
  }

  /** The whole archive; nothing can be added after this. */
  finish(): Blob {
    this.finished = true;
    const end = new Uint8Array(END_RECORD);
    const view = new DataView(end.buffer);
    view.setUint32(0, END_SIGNATURE, true);
    view.setUint16(8, this.central.length, true);
    view.setUint16(10, this.central.length, true);
    view.setUint32(12, this.centralSize, true);
    view.setUint32(16, this.offset, true);
    return new Blob([...this.parts, ...this.central, end], { type: 'application/zip' });
  }
}

/** The archive would need ZIP64, which this writer does not write. */
export class ZipLimitError extends Error {
  constructor() {
    super('The export would be larger than 4 GiB (or hold more than 65,535 files), more than one zip file can hold');
    this.name = 'ZipLimitError';
  }
}

const LOCAL_SIGNATURE = 0x04034b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const END_SIGNATURE = 0x06054b50;
const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const END_RECORD = 22;
/** 2.0: the first version with folders; enough for stored entries with UTF-8 names. */
const VERSION_NEEDED = 20;
/** Made by Unix, spec 2.0: unzippers then take names as they are (an MS-DOS origin makes Info-ZIP translate them from CP437). */
const VERSION_MADE_BY = (3 << 8) | 20;
/** A regular file, rw-r--r--, in the Unix half of the external attributes. */
const FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;
const UTF8_FLAG = 0x0800;
const MAX_ENTRIES = 0xffff;
const MAX_ZIP_BYTES = 0xffffffff;
/** How much of a Blob is read at a time for its CRC. */
const READ_CHUNK = 4 * 1024 * 1024;
const UTF8 = new TextEncoder();

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE, as ZIP uses it); pass the previous result to continue over more bytes. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

async function crc32OfBlob(blob: Blob): Promise<number> {
  let crc = 0;
  for (let start = 0; start < blob.size; start += READ_CHUNK) {
    crc = crc32(new Uint8Array(await blob.slice(start, start + READ_CHUNK).arrayBuffer()), crc);
  }
  return crc;
}

/** DOS time and date; DOS dates start in 1980, so anything earlier is written as 1980-01-01. */
function dosDateTime(at: Date): { time: number; date: number } {
  const year = at.getFullYear();
  if (year < 1980) return { time: 0, date: (1 << 5) | 1 };
  return {
    time: (at.getHours() << 11) | (at.getMinutes() << 5) | (at.getSeconds() >> 1),
    date: ((Math.min(year, 2107) - 1980) << 9) | ((at.getMonth() + 1) << 5) | at.getDate(),
  };
}
