// Parsers for option values, so a wrong flag value gets a sentence that says what is expected.
import { InvalidArgumentError } from 'commander';

export function parsePositiveInt(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new InvalidArgumentError(`${flag} takes a whole number of 1 or more, not "${value}".`);
  }
  return number;
}

export function parseNonNegativeInt(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) {
    throw new InvalidArgumentError(`${flag} takes a whole number of 0 or more, not "${value}".`);
  }
  return number;
}

/**
 * A TCP port: 1 to 65535, and 0 where the command picks a free one (`anyFree`). The one parser of every
 * --port: a number past 65535 had reached Node's listen and stopped the command as "a bug".
 */
export function parsePort(value: string, flag: string, options: { anyFree: boolean }): number {
  const port = Number(value);
  const lowest = options.anyFree ? 0 : 1;
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(port) || port < lowest || port > 65535) {
    throw new InvalidArgumentError(
      `${flag} takes a TCP port from 1 to 65535${options.anyFree ? ' (0: any free port)' : ''}, not "${value}".`,
    );
  }
  return port;
}
