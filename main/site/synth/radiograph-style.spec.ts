import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDicom, Tags } from '../dicom/index.ts';
import { synthesizeStudies, type SynthResult } from './index.ts';
import { gaussianBlur, processRadiograph } from './radiograph-style.ts';

const tmp = mkdtempSync(join(tmpdir(), 'radfed-synth-style-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BASE = { sites: 2, patients: 4, seed: 5, radiographSize: 48, modalities: ['RADIOGRAPH'] as const };

/** Stored pixel bytes of each site's radiographs, by path relative to the output folder. */
function radiographBytes(result: SynthResult, outDir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of result.files) {
    const file = parseDicom(new Uint8Array(readFileSync(f.path)));
    const modality = file.dataset.get(Tags.Modality);
    if (!modality || !/^(DX|CR)/.test(Buffer.from(modality.value!).toString('latin1'))) continue;
    out.set(f.path.slice(outDir.length), Buffer.from(file.dataset.get(Tags.PixelData)!.value!));
  }
  return out;
}

describe('console styles of synthetic radiographs', () => {
  it('changes only the styled site, and an empty style changes nothing', async () => {
    const plainDir = join(tmp, 'plain');
    const styledDir = join(tmp, 'styled');
    const plain = radiographBytes(await synthesizeStudies({ ...BASE, outDir: plainDir }), plainDir);
    const styled = radiographBytes(
      await synthesizeStudies({
        ...BASE,
        outDir: styledDir,
        radiographStyles: [{}, { zoom: 1.3, blur: 1, gamma: 0.7, noise: 0.04 }],
      }),
      styledDir,
    );
    expect(plain.size).toBeGreaterThan(4);
    expect([...styled.keys()].sort()).toEqual([...plain.keys()].sort());
    for (const [path, bytes] of plain) {
      const same = styled.get(path)!.equals(bytes);
      expect(same, path).toBe(path.includes('site-01'));
    }
  });

  it('blurs without moving brightness, sharpens edges and applies the display curve', () => {
    const size = 9;
    const dot = new Float32Array(size * size);
    dot[4 * size + 4] = 1;
    const blurred = gaussianBlur(dot, size, 1);
    expect(blurred.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(blurred[4 * size + 4]).toBeLessThan(0.5);
    expect(blurred[4 * size + 5]).toBeGreaterThan(0);

    const step = Float32Array.from({ length: size * size }, (_, i) => (i % size < 4 ? 0.2 : 0.6));
    const sharpened = Float32Array.from(step);
    processRadiograph(sharpened, size, { sharpen: 1 });
    expect(sharpened[4 * size + 3]).toBeLessThan(0.2); // undershoot on the dark side of the edge
    expect(sharpened[4 * size + 4]).toBeGreaterThan(0.6); // overshoot on the bright side
    expect(sharpened[4 * size + 0]).toBeCloseTo(0.2, 5); // flat regions stay as they were

    const curve = Float32Array.of(0.25, 1);
    processRadiograph(curve, 1, { gamma: 0.5 });
    expect(curve[0]).toBeCloseTo(0.5, 5);
    expect(curve[1]).toBeCloseTo(1, 5);
  });
});
