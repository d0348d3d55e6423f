// Identity on WebAssembly by reference, not by copy. tfjs's engine clones every tensor a kernel saves
// for its gradient (engine.js, saveTensorsForBackwardMode: keep(clone(x))), and clone runs Identity;
// the wasm backend's Identity copies the whole tensor into new memory, where the CPU backend's shares
// the data and counts references. On the reference CNN that is 28 copies per training step (each
// convolution's input, output and filter), ~2 ms of a ~60 ms step, and twice the memory of every saved
// activation until the backward pass frees it. Sharing is safe because no kernel writes into its
// inputs: the wasm backend's own Reshape shares data the same way.
// RADFED_WASM_SHARED_IDENTITY=0 keeps the copying kernel (checked on each call, for A/B benchmarks).
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

interface CountedBackend {
  incRef(dataId: object): void;
}

/** Identity that shares `x`'s data (reference counted), or runs `copying` where switched off. */
export function sharedIdentity(copying: KernelFunc | undefined): KernelFunc {
  return (({
    inputs,
    backend,
    attrs,
  }: {
    inputs: { x: TensorInfo };
    backend: KernelBackend;
    attrs: object;
  }) => {
    const { x } = inputs;
    if (process.env.RADFED_WASM_SHARED_IDENTITY === '0' && copying) {
      return copying({ inputs, backend, attrs } as never);
    }
    (backend as unknown as CountedBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  }) as unknown as KernelFunc;
}
