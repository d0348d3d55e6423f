// Blanking and rewriting pixel data in every transfer syntax the decoders read, on pydicom's test
// files (Debian's python3-pydicom, as the decoder tests use): inside the area one value, outside it
// every decoded value unchanged, in every frame; compressed sources come back native. No OCR here.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EXPLICIT_VR_LITTLE_ENDIAN, parseDicom, RLE_LOSSLESS, writeDicom } from '../dicom/index.ts';
import { decodeFrame, readPixelModule } from '../train/data/index.ts';
import { blankFile, type Area } from './blank.ts';
import { renderForDisplay } from './display.ts';

const FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

const CASES = [
  'MR_small.dcm', // explicit VR little endian, 16-bit signed
  'MR_small_implicit.dcm',
  'MR_small_bigendian.dcm',
  'MR_small_RLE.dcm',
  'MR_small_jp2klossless.dcm',
  'MR_small_jpeg_ls_lossless.dcm',
  'SC_rgb_rle_2frame.dcm', // RGB, two frames
  'SC_rgb_jpeg_dcmtk.dcm', // lossy YBR JPEG, decoded to RGB
  'SC_ybr_full_422_uncompressed.dcm',
  'SC_rgb_rle_32bit.dcm',
];

const AREA: Area = { x: 3, y: 4, width: 11, height: 7 };
const inside = (x: number, y: number): boolean =>
  x >= AREA.x && x < AREA.x + AREA.width && y >= AREA.y && y < AREA.y + AREA.height;

describe.skipIf(!existsSync(FILES))('blanking rewrites the pixels of', () => {
  it.each(CASES)('%s: one value inside the area, every other value unchanged', async (name) => {
    const bytes = new Uint8Array(readFileSync(join(FILES, name)));
    const source = parseDicom(bytes);
    const encapsulated = source.transferSyntax.encapsulated;
    const sourceSyntax = source.transferSyntax.uid;
    const frames = readPixelModule(source).frames;
    const originals = await blankFile(source, [AREA], frames);
    const out = parseDicom(new Uint8Array(Buffer.concat(writeDicom(source))));
    const greyRle = sourceSyntax === RLE_LOSSLESS && !name.startsWith('SC_rgb');
    expect(out.transferSyntax.uid).toBe(greyRle || !encapsulated ? sourceSyntax : EXPLICIT_VR_LITTLE_ENDIAN);
    for (let f = 0; f < frames; f++) {
      const before = originals[f]!;
      const after = await decodeFrame(out, f);
      expect(after.photometric).toBe(before.photometric);
      const s = before.samples;
      const fill = Array.from(
        { length: s },
        (_, k) => after.values[(AREA.y * after.columns + AREA.x) * s + k],
      );
      let differing = 0;
      for (let y = 0; y < before.rows; y++)
        for (let x = 0; x < before.columns; x++)
          for (let k = 0; k < s; k++) {
            const i = (y * before.columns + x) * s + k;
            if (inside(x, y)) expect(after.values[i]).toBe(fill[k]);
            else if (after.values[i] !== before.values[i]) differing++;
          }
      expect(differing).toBe(0);
    }
  });
});

describe.skipIf(!existsSync(FILES))('the preview of a colour image', () => {
  it.each(['SC_ybr_full_422_uncompressed.dcm', 'SC_rgb_jpeg_dcmtk.dcm'])(
    '%s is an RGB PNG whose first band is red',
    async (name) => {
      const { png, width } = await renderForDisplay(new Uint8Array(readFileSync(join(FILES, name))));
      expect(png[25]).toBe(2); // PNG colour type 2: RGB; one IDAT chunk after IHDR, then its CRC and IEND
      const raw = inflateSync(Buffer.from(png.subarray(41, png.length - 16)));
      const [r, g, b] = [raw[1 + 3 * (width >> 1)]!, raw[2 + 3 * (width >> 1)]!, raw[3 + 3 * (width >> 1)]!];
      expect(r).toBeGreaterThan(200);
      expect(g).toBeLessThan(60);
      expect(b).toBeLessThan(60);
    },
  );
});
