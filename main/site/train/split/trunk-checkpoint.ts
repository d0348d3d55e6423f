// The trunk's checkpoint at the hub's trunk keeper. Its format lives in
// shared/node/split/trunk-checkpoint-format.ts, because the hub's model export reads it too; here a
// damaged checkpoint is a TrainError like every other refusal of the training engine.
import {
  decodeTrunkState as decodeSharedTrunkState,
  encodeTrunkState,
  TrunkCheckpointError,
  type FinishedSession,
  type TrunkState,
} from '../../../../shared/node/split/index.ts';
import { TrainError } from '../errors.ts';

export { encodeTrunkState, type FinishedSession, type TrunkState };

export function decodeTrunkState(bytes: Uint8Array): TrunkState {
  try {
    return decodeSharedTrunkState(bytes);
  } catch (error) {
    if (error instanceof TrunkCheckpointError) throw new TrainError('invalid-checkpoint', error.message);
    throw error;
  }
}
