export class IngestError extends Error {
  constructor(
    readonly code: 'input-not-found' | 'input-inside-site' | 'input-unreadable' | 'unusable-identifier',
    message: string,
  ) {
    super(message);
    this.name = 'IngestError';
  }
}
