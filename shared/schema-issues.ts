// How a schema's refusal (zod) is told to a person without quoting the input. zod 4's messages name
// the expected type or bound ("expected string, received number", "too big: <=16 characters") and
// never the received value, with two exceptions that quote the input itself: an unknown key is
// named ("Unrecognized key: \"DOE^JOHN\"") and a record's keys become the path (`d["PID-7731"]`).
// A labels file, a consent export or a request body may have a patient's name or ID in either place,
// so here a key is named only when shaped like our own field names (camelCase or snake_case, starting
// lower-case: never a name with ^ or a space, an ID with a dash, or a number), and otherwise counted.
//
// Runs anywhere (no Node imports).

/** What this needs of a zod issue (zod 4's `$ZodIssue`, taken structurally). */
export interface SchemaIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly keys?: readonly string[];
}

/**
 * Our field names: camelCase or snake_case words starting with a lower-case letter. A key that is not
 * one (a record's key: an ID, a name with ^ or a space, a number) is shown as `[a key]`.
 */
const FIELD_NAME = /^[a-z][A-Za-z0-9_]{0,39}$/;

/** Where the issue is: `labels.2`, `filters.studyDate.from`, `[a key].size`; '' at the top level. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((part) =>
      typeof part === 'number' || (typeof part === 'string' && FIELD_NAME.test(part))
        ? String(part)
        : '[a key]',
    )
    .join('.');
}

/** What is wrong, in words that quote no input. */
export function issueText(issue: SchemaIssue): string {
  if (issue.code === 'unrecognized_keys') {
    // Named when shaped like our field names (a typo: "lables"), as a path names them; any other key
    // is only counted: in a file that should not have it, a field's name may be a value shifted in.
    const keys = issue.keys ?? [];
    const named = keys.filter((key) => FIELD_NAME.test(key));
    const hidden = keys.length - named.length;
    const fields = keys.length === 1 ? 'a field that does' : `${keys.length} fields that do`;
    const which = [
      ...(named.length > 0 ? [named.join(', ')] : []),
      ...(hidden > 0
        ? [`${hidden === keys.length ? '' : `${hidden} more, `}not named here: a name may be a value`]
        : []),
    ].join('; ');
    return `has ${fields} not belong here (${which}); remove ${keys.length === 1 ? 'it' : 'them'}`;
  }
  return issue.message;
}

/**
 * Up to `shown` issues as "where: what" joined by '; ', with how many more; the top level is called
 * `top`. For an error sentence: "The task file is not valid: labels: too small…; id: must be…".
 */
export function describeSchemaIssues(
  issues: readonly SchemaIssue[],
  { shown = 5, top = 'the top level' }: { shown?: number; top?: string } = {},
): string {
  const listed = issues
    .slice(0, shown)
    .map((issue) => `${issuePath(issue.path) || top}: ${issueText(issue)}`);
  const more = issues.length > shown ? ` (and ${issues.length - shown} more)` : '';
  return `${listed.join('; ')}${more}`;
}
