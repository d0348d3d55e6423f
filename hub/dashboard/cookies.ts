// The dashboard's two cookies. `__Host-` names make the browser insist on Secure, Path=/ and no Domain,
// so no other host or plain-HTTP page can set or read them; HttpOnly keeps them from scripts, and
// SameSite=Strict keeps other sites' pages from sending them along.

export const SESSION_COOKIE = '__Host-radfed-hub-session';
/** A random value also put in the sign-in form: a page elsewhere cannot sign a browser in (login CSRF). */
export const LOGIN_COOKIE = '__Host-radfed-hub-login';

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function setCookie(name: string, value: string, maxAgeSeconds?: number): string {
  const age = maxAgeSeconds === undefined ? '' : `; Max-Age=${maxAgeSeconds}`;
  return `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Strict${age}`;
}

export function clearCookie(name: string): string {
  return setCookie(name, '', 0);
}
