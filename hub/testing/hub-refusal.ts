// For the hub's specs: what a hub answered when it refused a request, checked to be the hub's refusal
// (HubRequestError, with its code and sentence) rather than a failure of the connection or the client.
import { expect } from 'vitest';
import { HubRequestError } from '../../shared/federation/index.ts';

/** Awaits `promise`, expects the hub to refuse it, and returns the refusal. */
export async function refusal(promise: Promise<unknown>): Promise<HubRequestError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HubRequestError);
  return error as HubRequestError;
}
