// The swarm room's door: hub-less federation's membership ledger (a hash-chained, countersigned log
// replicated at every member), founding and invitations, the ledger's choice of each round's leader,
// the peer network over mutual TLS, and the rounds, whose elected leader aggregates under SecAgg+
// (docs/swarm-learning.md).
export { SwarmError, LedgerVerificationError, type SwarmErrorCode } from './swarm-error.ts';
export {
  entryHash,
  GENESIS_PREVIOUS,
  LEDGER_FORMAT,
  MAX_ENTRY_BYTES,
  MAX_MEMBERS,
  signedEntrySchema,
  swarmIdOf,
  type EntryBody,
  type EntryKind,
  type EntrySignature,
  type LedgerEntry,
  type MemberCard,
  type QuorumRule,
  type RoundCommit,
  type SignedEntry,
} from './ledger-entry.ts';
export {
  applyEntry,
  findMember,
  memberIdFor,
  quorumSize,
  roundCommitStatement,
  ROUND_COMMIT_TAG,
  type MembershipState,
  type MemberRecord,
  type OpenRound,
  type RoundSeedOutcome,
} from './membership.ts';
export {
  MAX_ENTRIES_PER_PAGE,
  MAX_PAGE_BYTES,
  parseLedgerPage,
  reviewEntry,
  verifyChain,
  verifySignedEntry,
  type ChainExpectations,
  type VerifiedEntry,
} from './chain-verification.ts';
export { equivocationProven, findEquivocations, type EquivocationProof } from './equivocation.ts';
export {
  checkViewChange,
  signViewStatement,
  viewCoordinator,
  viewLock,
  viewStatementValid,
  type ViewLock,
} from './view-change.ts';
export { ViewWatch } from './view-watch.ts';
export { RoundSecretStore } from './round-secret-store.ts';
export { openSwarmDatabase, SWARM_MIGRATIONS } from './swarm-database.ts';
export { SwarmLedger } from './swarm-ledger.ts';
export { formatSwarmInvitation, parseSwarmInvitation, type SwarmInvitation } from './invitation-token.ts';
export { DEFAULT_INVITATION_DAYS, InvitationBook, invitationIdFor } from './invitation-book.ts';
export {
  genesisEntry,
  joinEntryFor,
  makeJoinRequest,
  memberCardOf,
  proposeEntry,
  verifyInvitedLedger,
  type JoinRequest,
  type SwarmSiteIdentity,
} from './founding.ts';
export {
  drawRoundNonce,
  leaderAfterTimeouts,
  leaderOrder,
  nonceCommit,
  omittedReveals,
  revealOutcome,
  roundSeed,
  type RevealOutcome,
  type RoundReveal,
} from './leader-election.ts';
export { makePeerCertificate, peerKeyOf, type PeerCertificate } from './peer-certificate.ts';
export { MAX_MESSAGE_BYTES, type PeerEnvelope, type SignedEnvelope } from './peer-envelope.ts';
export { PeerClient, type PeerTarget } from './peer-client.ts';
export { PeerServer } from './peer-server.ts';
export { SwarmNode, type SwarmNodeOptions } from './swarm-node.ts';
export { SwarmRounds, type RoundOutcome, type SwarmRoundsOptions } from './swarm-rounds.ts';
export { type MemberUpdate } from './round-secagg-member.ts';
export { type LeaderAggregation } from './round-secagg-leader.ts';
export { swarmTaskHash, swarmTaskSchema, verifiedModel, type SwarmTask } from './swarm-task.ts';
export {
  checkSwarmName,
  checkSwarmSiteSettings,
  existingMembership,
  prepareSwarmSite,
  readSwarmSettings,
  startSwarmMember,
  swarmPaths,
  type ExistingMembership,
  type SwarmSiteSettings,
} from './swarm-site.ts';
export { SwarmModelStore } from './swarm-model-store.ts';
export { SwarmService, type SwarmServiceEvent, type SwarmServiceOptions } from './swarm-service.ts';
export { initialSwarmModel, serveSwarmMember, type ServedSwarmMember } from './swarm-serve.ts';
export {
  approvedTaskPath,
  approveSwarmTask,
  describeSwarmTask,
  parseSwarmTask,
  readApprovedSwarmTask,
  swarmModelDir,
} from './swarm-task-approval.ts';
export { leaveSwarm, removeMember } from './membership-changes.ts';
export {
  admitSwarm,
  prepareRelayHome,
  readRelaySettings,
  relayMemberAddress,
  startRelay,
  startRelayHome,
  type RunningRelay,
} from './relay/relay-home.ts';
export { isRelayedAddress, relayServerOf } from './relay-sealing.ts';
