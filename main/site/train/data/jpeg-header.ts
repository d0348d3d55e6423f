// What a JPEG stream's frame header says before it is decoded (ITU T.81 B.2.2): the coding process,
// the sample precision and the component count. Used to refuse 12-bit DCT streams with a clear
// message instead of a codec's numeric exception.
export interface JpegHeader {
  precision: number;
  components: number;
  process: 'baseline' | 'extended' | 'progressive' | 'lossless' | 'other';
}

const SOF_PROCESS: Record<number, JpegHeader['process']> = {
  0xc0: 'baseline',
  0xc1: 'extended',
  0xc2: 'progressive',
  0xc3: 'lossless',
};

export function readJpegHeader(data: Uint8Array): JpegHeader | undefined {
  if (data[0] !== 0xff || data[1] !== 0xd8) return undefined;
  let p = 2;
  while (p + 4 <= data.length) {
    if (data[p] !== 0xff) return undefined;
    const marker = data[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    const length = (data[p + 2]! << 8) | data[p + 3]!;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof && p + 9 < data.length) {
      return { precision: data[p + 4]!, components: data[p + 9]!, process: SOF_PROCESS[marker] ?? 'other' };
    }
    if (marker === 0xda) return undefined;
    p += 2 + length;
  }
  return undefined;
}
