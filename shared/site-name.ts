// The one rule for a site's name, used wherever a name is typed or received: the setup wizard (as the
// person types), Settings, `radfed site init`, the agent's setup and the hub's enrollment. The name is
// shown to people (other sites, the coordinator) and written into the site's settings and the hub's
// database, so it may use any language's letters, accents, apostrophes and hyphens ("St Mary's
// Radiology", "Hôpital Saint-Éloi"); what is refused is what cannot be shown safely on one line or
// could be taken for a folder.
// Pure and without dependencies: the renderer bundles it too.

/** The longest name, in characters (the hub's column and the dashboard's table allow no more). */
export const SITE_NAME_MAX_LENGTH = 100;

export type SiteNameCheck = { ok: true; name: string } | { ok: false; problem: string };

// Control characters (line breaks, tabs, escape), format characters (invisible joiners and the
// right-to-left overrides that can make one name look like another), line and paragraph separators,
// surrogates and private-use characters: none can be shown on one line as typed.
const UNSHOWABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/u;
// A name reaches folder and file names (exports, the default folder of `radfed site init`): no separators.
const PATH_SEPARATOR = /[/\\]/;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * Checks a site name and gives it back as it will be stored (outer spaces removed, accents in one
 * canonical form, so "é" typed two ways is one name), or a sentence saying what to change.
 */
export function checkSiteName(text: string): SiteNameCheck {
  const name = text.normalize('NFC').trim();
  if (name === '')
    return { ok: false, problem: 'Give the site a name, for example "St Mary\u2019s Radiology".' };
  if (UNSHOWABLE.test(name)) {
    return {
      ok: false,
      problem:
        'The name must be one line of visible characters: remove line breaks, tabs and invisible characters.',
    };
  }
  if (PATH_SEPARATOR.test(name)) {
    return { ok: false, problem: 'The name cannot contain / or \\; use a dash or a space instead.' };
  }
  if (!LETTER_OR_DIGIT.test(name)) {
    return { ok: false, problem: 'The name needs at least one letter or digit.' };
  }
  const length = [...name].length;
  if (length > SITE_NAME_MAX_LENGTH) {
    return {
      ok: false,
      problem: `The name is ${length} characters long; shorten it to ${SITE_NAME_MAX_LENGTH} or fewer.`,
    };
  }
  return { ok: true, name };
}

/** The problem with a name in words, or null when it may be used. */
export function siteNameProblem(text: string): string | null {
  const checked = checkSiteName(text);
  return checked.ok ? null : checked.problem;
}
