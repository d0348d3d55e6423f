// Split learning's transport at the site: the signed WebSocket session to the hub, and a shaping
// layer that makes a loopback connection behave like a slower link (benchmarks); and the trunk
// checkpoint's format, written by the hub's trunk keeper and read by the hub's model export.
export { SplitConnection, SplitConnectionError, type SplitConnectionOptions } from './split-connection.ts';
export { shapedLink, type LinkShaper } from './link-shaper.ts';
export {
  decodeTrunkState,
  encodeTrunkState,
  TrunkCheckpointError,
  type FinishedSession,
  type TrunkState,
  type TrunkTensor,
} from './trunk-checkpoint-format.ts';
