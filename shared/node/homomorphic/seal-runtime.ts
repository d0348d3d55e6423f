// Microsoft SEAL through node-seal 6 (WebAssembly; 7.x needs WebAssembly GC, which Node 20 lacks).
// One module instance per process, loaded on first use. SEAL objects live in WebAssembly memory that
// the garbage collector does not see: every object made here is deleted by its maker (`withSeal`).
import sealExport from 'node-seal';
import type { Context } from 'node-seal/implementation/context.js';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import { HomomorphicError } from './homomorphic-error.ts';
import type { SummationParameters } from './summation-parameters.ts';

type SealFactory = () => Promise<SEALLibrary>;
// node-seal is a UMD bundle whose types declare an ES default export: imported from ESM under Node,
// the default is the factory itself; the types think it is `{ default: factory }`. Accept both.
const sealFactory = (
  typeof sealExport === 'function' ? sealExport : (sealExport as { default: SealFactory }).default
) as SealFactory;

let library: Promise<SEALLibrary> | null = null;

export function loadSeal(): Promise<SEALLibrary> {
  library ??= sealFactory();
  return library;
}

/** Anything SEAL made that holds WebAssembly memory. */
interface Deletable {
  delete(): void;
}

/** Runs `work` and deletes every SEAL object it registered with `keep`, even when it throws. */
export function withSeal<T>(work: (keep: <D extends Deletable>(object: D) => D) => T): T {
  const made: Deletable[] = [];
  try {
    return work((object) => {
      made.push(object);
      return object;
    });
  } finally {
    for (const object of made.reverse()) object.delete();
  }
}

/** A SEAL context for the parameters, refused unless SEAL itself holds them 128-bit secure. */
export function createContext(seal: SEALLibrary, parameters: SummationParameters): Context {
  return withSeal((keep) => {
    const parms = keep(seal.EncryptionParameters(seal.SchemeType.ckks));
    parms.setPolyModulusDegree(parameters.polyModulusDegree);
    const modulus = keep(
      seal.CoeffModulus.Create(parameters.polyModulusDegree, Int32Array.from([parameters.primeBits])),
    );
    parms.setCoeffModulus(modulus);
    // expandModChain false: there is one level and no key-switching prime to split off.
    const context = seal.Context(parms, false, seal.SecurityLevel.tc128);
    if (!context.parametersSet()) {
      context.delete();
      throw new HomomorphicError(
        'bad-parameters',
        'SEAL refused the homomorphic-encryption parameters at 128-bit security; update RadFed at every site.',
      );
    }
    return context;
  });
}

/** Runs a SEAL call whose failure (an exception out of WebAssembly) becomes our error. */
export function sealCall<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (error instanceof HomomorphicError) throw error;
    throw new HomomorphicError('seal-failed', `SEAL could not ${what}.`, { cause: error });
  }
}
