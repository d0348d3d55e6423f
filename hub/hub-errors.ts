// Errors the hub answers with: an HTTP status, a code for machines, and a sentence for the person at
// the site or the coordinator's terminal. None carries a payload value, key, token or patient datum.
import { RadfedError, type RadfedErrorOptions } from '../shared/errors.ts';

export class HubError extends RadfedError {
  override readonly name = 'HubError';
  constructor(
    code: string,
    readonly statusCode: number,
    message: string,
    options?: RadfedErrorOptions,
  ) {
    super(code, message, options);
  }
}

export const badRequest = (code: string, message: string) => new HubError(code, 400, message);
export const unauthorised = (code: string, message: string) => new HubError(code, 401, message);
export const forbidden = (code: string, message: string) => new HubError(code, 403, message);
export const notFound = (code: string, message: string) => new HubError(code, 404, message);
export const conflict = (code: string, message: string) => new HubError(code, 409, message);
export const tooLarge = (code: string, message: string) => new HubError(code, 413, message);
export const unprocessable = (code: string, message: string) => new HubError(code, 422, message);
