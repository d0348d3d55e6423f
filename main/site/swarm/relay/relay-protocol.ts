// The routes of the relay that is no member (relay-server.ts) and their bounds, in one place for the
// server and the member's link (relay-link.ts). Every route is HTTPS with the member's certificate.
//   POST /relay/v1/forward/<member id>   body: a sealed message (base64url); answer: its sealed answer
//   POST /relay/v1/poll                  body: { swarm, height, card }; answer: { items, height }
//   POST /relay/v1/reply/<message id>    body: the sealed answer
//   POST /relay/v1/ledger                body: { swarm, entries }: ledger entries the relay lacks
//   GET  /relay/v1/cards/<member id>     the mailbox owner's signed exchange key (for a joiner)
export const RELAY_PATHS = {
  forward: '/relay/v1/forward/',
  poll: '/relay/v1/poll',
  reply: '/relay/v1/reply/',
  ledger: '/relay/v1/ledger',
  cards: '/relay/v1/cards/',
} as const;

/** A sealed message or answer: a member's message is at most 8 MiB, sealed and base64url ~4/3 of it. */
export const MAX_SEALED_BODY_BYTES = 11 * 1024 * 1024;
/** A poll's body (ids and a card). */
export const MAX_POLL_BODY_BYTES = 16 * 1024;
/** A page of ledger entries a member hands the relay (500 entries of at most 64 KiB would be more; real ones are ~2 KiB). */
export const MAX_LEDGER_BODY_BYTES = 8 * 1024 * 1024;
