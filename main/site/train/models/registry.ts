// The model registry: architectures by name, each built from a config.
import { TrainError } from '../errors.ts';
import { createDensenet121 } from './densenet121.ts';
import type { ImageModel, ModelConfig } from './model.ts';
import { createReferenceCnn } from './reference-cnn.ts';
import { createResidualNet } from './residual-net.ts';
import { createResnet18 } from './resnet18.ts';

export const MODEL_ARCHITECTURES = {
  /** The benchmark model (no batch normalisation), identical to the PyTorch reference. */
  'reference-cnn': createReferenceCnn,
  /** A small residual network with batch normalisation: the practical classifier. */
  'resnet-small': createResidualNet,
  /** The same network with group norm: per-image normalisation, for patient-level DP-SGD. */
  'resnet-small-gn': (config: ModelConfig) => createResidualNet(config, 'group'),
  /** ResNet-18 for grayscale images of 224–512 px: a backbone of real size (11.2 M weights). */
  'resnet-18': createResnet18,
  /** DenseNet-121 for grayscale images of 224–512 px: CheXNet's backbone (6.95 M weights). */
  'densenet-121': createDensenet121,
} as const;

export type ModelArchitecture = keyof typeof MODEL_ARCHITECTURES;

export function createModel(architecture: string, config: ModelConfig): ImageModel {
  const create = (MODEL_ARCHITECTURES as Record<string, (c: ModelConfig) => ImageModel>)[architecture];
  if (!create) {
    throw new TrainError(
      'invalid-option',
      `Unknown model "${architecture}": choose one of ${Object.keys(MODEL_ARCHITECTURES).join(', ')}.`,
    );
  }
  return create(config);
}
