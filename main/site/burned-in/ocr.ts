/** Stops the shared OCR worker (tests, and a command before it exits). */
export async function closeBurnedInOcr(): Promise<void> {}
