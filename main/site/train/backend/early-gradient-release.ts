// Frees a backward pass's intermediate tensors as soon as they are used. tfjs-core 4.22 keeps every
// node's output gradient (tape.js, backpropagateGradients never disposes a dy) and every tensor a
// node saved for its gradient until the whole backward pass ends, so a step's memory grew during the
// backward pass instead of shrinking: DenseNet-121 at 64 px, batch 4, went from 99 MB above its weights
// at the end of the forward pass to 276 MB (docs/benchmarks.md, "CPU step profile").
// Each tape node's gradient is wrapped: when the next node's gradient starts (the engine walks the
// tape one node at a time, calling each node's input-gradient functions before the next node), the
// previous node's saved tensors and output gradients are disposed, except an output gradient that a
// gradient function returned for more than one input, the caller's own `dy`, and in nested
// (higher-order) gradients, where nothing is freed. The gradients computed are the same tensors.
import { engine, type Tensor } from '@tensorflow/tfjs-core';

type InputGradients = Record<string, () => Tensor>;

interface TapeNode {
  saved?: Tensor[];
  gradient?: (dys: (Tensor | null)[]) => InputGradients;
}

interface EngineInternals {
  state: { gradientDepth: number; activeTape: TapeNode[] | null };
  addTapeNode(...args: unknown[]): void;
  gradients(f: () => Tensor, xs: Tensor[], dy?: Tensor, allowNoGradients?: boolean): unknown;
}

/** The node whose gradient ran last, waiting for the next one to free what it no longer needs. */
let previous: { dys: (Tensor | null)[]; saved: Tensor[] } | null = null;
/** How many input gradients each tensor was returned as, in the pass under way. */
let returned = new Map<Tensor, number>();
/** A `dy` the caller passed to the pass under way: theirs, never freed here. */
let callersDy: Tensor | undefined;
let installed = false;
/** Off: tfjs's own behaviour, everything kept to the end of the pass (for comparisons). */
let enabled = true;

function releasePrevious(): void {
  if (!previous) return;
  for (const dy of previous.dys) {
    if (!dy || dy === callersDy || (returned.get(dy) ?? 0) > 1) continue;
    dy.dispose();
  }
  // A gradient function may return a saved tensor itself as an input's gradient: that one stays.
  for (const tensor of previous.saved) if (!returned.has(tensor)) tensor.dispose();
  previous = null;
}

function wrapGradient(internals: EngineInternals, node: TapeNode): void {
  const inner = node.gradient;
  if (!inner) return;
  const saved = node.saved ?? [];
  node.gradient = (dys) => {
    const nested = !enabled || internals.state.gradientDepth > 0;
    releasePrevious();
    const thunks = inner(dys);
    if (nested) return thunks;
    previous = { dys, saved };
    const counted: InputGradients = {};
    for (const [name, thunk] of Object.entries(thunks)) {
      counted[name] = () => {
        const dx = thunk();
        returned.set(dx, (returned.get(dx) ?? 0) + 1);
        return dx;
      };
    }
    return counted;
  };
}

/** Installs the early release on the engine (once per process); `on: false` turns it off again. */
export function releaseGradientsEarly(on = true): void {
  enabled = on;
  if (installed) return;
  installed = true;
  const internals = engine() as unknown as EngineInternals;
  const addTapeNode = internals.addTapeNode.bind(internals);
  internals.addTapeNode = (...args: unknown[]) => {
    addTapeNode(...args);
    const tape = internals.state.activeTape;
    if (tape && tape.length > 0) wrapGradient(internals, tape[tape.length - 1]!);
  };
  const gradients = internals.gradients.bind(internals);
  internals.gradients = (f, xs, dy, allowNoGradients) => {
    const outer = { previous, returned, callersDy };
    previous = null;
    returned = new Map();
    callersDy = dy;
    try {
      return gradients(f, xs, dy, allowNoGradients);
    } finally {
      // The last node's tensors are freed by the engine's own tidy at the end of the pass.
      ({ previous, returned, callersDy } = outer);
    }
  };
}
