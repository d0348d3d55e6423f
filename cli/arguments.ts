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
