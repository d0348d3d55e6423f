// TensorFlow.js as the engine loads it: the core, the plain-JavaScript backend, and the gradient
// definitions. tfjs-core's Node build leaves the gradients out (its ES build, which registers them,
// cannot be imported by Node); tfjs-layers' Node build registers all of them when it loads.
// Named imports, not bare ones: bundlers drop a bare import of a package that declares itself free
// of side effects, and these two register the CPU backend and the gradients when they load.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { version_layers } from '@tensorflow/tfjs-layers';

import { env } from '@tensorflow/tfjs-core';
import { releaseGradientsEarly } from './early-gradient-release.ts';

// Production mode: no debug checks, and no console advice to install tfjs-node (the engine reports
// its backend choice itself).
env().set('PROD', true);

// A backward pass frees each node's gradients and saved tensors once used, not at its end
// (early-gradient-release.ts); RADFED_EARLY_GRADIENT_RELEASE=0 keeps tfjs's own behaviour.
if (process.env.RADFED_EARLY_GRADIENT_RELEASE !== '0') releaseGradientsEarly();

export * from '@tensorflow/tfjs-core';
export const loadedVersions = { cpu: version_cpu, layers: version_layers };
