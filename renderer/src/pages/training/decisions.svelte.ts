// Bumped whenever a task's decision changes on this screen (approve, decline, withdraw, set up), so the
// navigation's badge counts again at once instead of at its next half-minute check.
export const decisions = $state({ changes: 0 });
