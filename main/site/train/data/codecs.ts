// The compressed transfer syntaxes and the decoder for each: the Cornerstone WebAssembly codecs
// (libjpeg-turbo, CharLS, OpenJPEG) and jpeg-lossless-decoder-js. Each codec loads once, on first use.
import { createRequire } from 'node:module';
import { TrainError } from '../errors.ts';
import { readJpegHeader } from './jpeg-header.ts';

const require = createRequire(import.meta.url);

export interface DecodedImage {
  width: number;
  height: number;
  components: number;
  bitsPerSample: number;
  signed: boolean;
  /** Samples interleaved per pixel, little-endian when more than 8 bits. */
  bytes: Uint8Array;
  /** True when the codec already turned YCbCr into RGB (baseline JPEG). */
  convertedToRgb: boolean;
}

interface EmbindDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned?: boolean;
  };
  delete(): void;
}
type CodecModule = Record<string, new () => EmbindDecoder>;

const modules = new Map<string, Promise<CodecModule>>();

type ProcessListener = (...args: unknown[]) => void;

/** The process-wide listeners of the two events Emscripten's Node glue subscribes to. */
function crashListeners(): Set<ProcessListener> {
  return new Set([
    ...(process.listeners('uncaughtException') as ProcessListener[]),
    ...(process.listeners('unhandledRejection') as ProcessListener[]),
  ]);
}

function loadCodec(specifier: string): Promise<CodecModule> {
  let loading = modules.get(specifier);
  if (!loading) {
    const before = crashListeners();
    const factory = require(specifier) as (module: object) => Promise<CodecModule>;
    // Quiet: OpenJPEG logs every tile to the console.
    loading = factory({ print: () => {}, printErr: () => {} }).then((codec) => {
      // Emscripten's Node glue turns every unhandled rejection into a crash: take its handlers off.
      for (const listener of crashListeners()) {
        if (before.has(listener)) continue;
        process.removeListener('uncaughtException', listener);
        process.removeListener('unhandledRejection', listener);
      }
      return codec;
    });
    modules.set(specifier, loading);
  }
  return loading;
}

async function decodeWithEmbind(
  specifier: string,
  className: string,
  data: Uint8Array,
): Promise<Omit<DecodedImage, 'convertedToRgb'>> {
  const codec = await loadCodec(specifier);
  const decoder = new codec[className]!();
  try {
    decoder.getEncodedBuffer(data.length).set(data);
    try {
      decoder.decode();
    } catch (error) {
      // Emscripten codecs throw numbers or strings, not Errors.
      const detail = error instanceof Error ? error.message : String(error);
      throw new TrainError(
        'corrupt-pixel-data',
        `The ${className} codec could not decode the frame (${detail}).`,
      );
    }
    const info = decoder.getFrameInfo();
    return {
      width: info.width,
      height: info.height,
      components: info.componentCount,
      bitsPerSample: info.bitsPerSample,
      signed: info.isSigned ?? false,
      bytes: decoder.getDecodedBuffer().slice(),
    };
  } finally {
    decoder.delete();
  }
}

async function decodeJpegLossless(data: Uint8Array): Promise<Omit<DecodedImage, 'convertedToRgb'>> {
  // The package declares types it does not ship: typed here by hand.
  const specifier = 'jpeg-lossless-decoder-js';
  const { Decoder } = (await import(specifier)) as {
    Decoder: new () => {
      decode(buffer: ArrayBuffer, offset: number, length: number): Uint8Array | Uint16Array;
      xDim: number;
      yDim: number;
      numComp: number;
      precision: number;
    };
  };
  const decoder = new Decoder();
  const copy = data.slice();
  const out = decoder.decode(copy.buffer, 0, copy.length);
  return {
    width: decoder.xDim,
    height: decoder.yDim,
    components: decoder.numComp,
    bitsPerSample: decoder.precision,
    signed: false,
    bytes: new Uint8Array(out.buffer, out.byteOffset, out.byteLength),
  };
}

type Decoder = (data: Uint8Array) => Promise<DecodedImage>;

const JPEG_TURBO = '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs';
const CHARLS = '@cornerstonejs/codec-charls/decodewasmjs';
const OPENJPEG = '@cornerstonejs/codec-openjpeg/decodewasmjs';

const jpegBaseline: Decoder = async (data) => {
  if ((readJpegHeader(data)?.precision ?? 8) > 8) {
    throw new TrainError(
      'unsupported-pixel-data',
      'JPEG with 12-bit samples (JPEG Extended, process 4) is not supported: ask the sender for JPEG Lossless, JPEG-LS, JPEG 2000 or uncompressed images.',
    );
  }
  const image = await decodeWithEmbind(JPEG_TURBO, 'JPEGDecoder', data);
  return { ...image, convertedToRgb: image.components === 3 };
};
const jpegLossless: Decoder = async (data) => ({
  ...(await decodeJpegLossless(data)),
  convertedToRgb: false,
});
const jpegLs: Decoder = async (data) => ({
  ...(await decodeWithEmbind(CHARLS, 'JpegLSDecoder', data)),
  convertedToRgb: false,
});
// OpenJPEG applies the inverse multiple-component transform itself: YBR_RCT / YBR_ICT come out RGB.
const jpeg2000: Decoder = async (data) => {
  const image = await decodeWithEmbind(OPENJPEG, 'J2KDecoder', data);
  return { ...image, convertedToRgb: image.components === 3 };
};

/** Transfer syntax UID → decoder (PS3.5 Table A-1 and PS3.6). RLE is decoded in rle-decode.ts. */
export const FRAME_DECODERS: ReadonlyMap<string, Decoder> = new Map([
  ['1.2.840.10008.1.2.4.50', jpegBaseline],
  ['1.2.840.10008.1.2.4.51', jpegBaseline],
  ['1.2.840.10008.1.2.4.57', jpegLossless],
  ['1.2.840.10008.1.2.4.70', jpegLossless],
  ['1.2.840.10008.1.2.4.80', jpegLs],
  ['1.2.840.10008.1.2.4.81', jpegLs],
  ['1.2.840.10008.1.2.4.90', jpeg2000],
  ['1.2.840.10008.1.2.4.91', jpeg2000],
]);
