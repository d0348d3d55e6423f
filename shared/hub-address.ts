// The one rule for a hub address typed by a person (setup wizard, Settings' "Connect to a hub", the
// agent): an https:// address with a host. Nothing is guessed: "hub.example.org" without https:// is
// refused with the address to type, so what is checked is exactly what is saved.
// Pure and without dependencies: the renderer bundles it too.

export type HubAddressCheck = { ok: true; origin: string } | { ok: false; problem: string };

export function checkHubAddress(text: string): HubAddressCheck {
  const trimmed = text.trim();
  const example = 'for example https://hub.example.org:8443';
  if (trimmed === '') return { ok: false, problem: `Give the hub's address, ${example}.` };
  if (!/^https:\/\//i.test(trimmed)) {
    const rest = trimmed.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    return {
      ok: false,
      problem: `The hub's address starts with https:// (the hub accepts only secure connections): type https://${rest}.`,
    };
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return { ok: false, problem: `"${trimmed.slice(0, 80)}" is not a web address; give it ${example}.` };
  }
  if (url.hostname === '') return { ok: false, problem: `The address has no host name; give it ${example}.` };
  return { ok: true, origin: url.origin };
}
