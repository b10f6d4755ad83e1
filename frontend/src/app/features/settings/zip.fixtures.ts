/** One entry as the central directory describes it, with its data found through the local header. */
export interface ReadEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  size: number;
  offset: number;
  data: Uint8Array;
}

/** Reads a zip back the way an unzipper does (end record → central directory → local headers); throws on a bad signature. */
export function readZip(bytes: Uint8Array): ReadEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expectSignature = (at: number, signature: number, what: string) => {
    if (view.getUint32(at, true) !== signature) throw new Error(`No ${what} at ${at}`);
  };
  const end = bytes.length - 22;
  expectSignature(end, 0x06054b50, 'end record');
  const count = view.getUint16(end + 10, true);
  const centralSize = view.getUint32(end + 12, true);
  const centralOffset = view.getUint32(end + 16, true);
  if (centralOffset + centralSize !== end) throw new Error('The central directory does not end where the end record starts');
  const entries: ReadEntry[] = [];
  let at = centralOffset;
  for (let i = 0; i < count; i++) {
    expectSignature(at, 0x02014b50, 'central directory header');
    const nameLength = view.getUint16(at + 28, true);
    const entry = {
      flags: view.getUint16(at + 8, true),
      method: view.getUint16(at + 10, true),
      crc: view.getUint32(at + 16, true),
      size: view.getUint32(at + 24, true),
      offset: view.getUint32(at + 42, true),
      name: new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength)),
    };
    expectSignature(entry.offset, 0x04034b50, 'local file header');
    if (view.getUint32(entry.offset + 14, true) !== entry.crc || view.getUint32(entry.offset + 18, true) !== entry.size) {
      throw new Error(`The local header of ${entry.name} disagrees with the central directory`);
    }
    const dataStart = entry.offset + 30 + view.getUint16(entry.offset + 26, true) + view.getUint16(entry.offset + 28, true);
    entries.push({ ...entry, data: bytes.subarray(dataStart, dataStart + entry.size) });
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return entries;
}

/** The entries of a zip Blob by name. */
export async function unzipBlob(blob: Blob): Promise<Map<string, Uint8Array>> {
  const entries = readZip(new Uint8Array(await blob.arrayBuffer()));
  return new Map(entries.map((entry) => [entry.name, entry.data]));
}
