/**
 * The hydration payload: the values of contexts the server rendered the page with, in a JSON
 * data block of the page (`<script type="application/json" id="mizan-hydration">`), keyed by
 * canonical context key. Read once at start-up; absent under a dev server, and then hooks fetch.
 */

/** The payload. */
export interface MizanHydration {
  /** The payload's format. */
  readonly version: 1;
  /** Each context instance's value, by canonical key. */
  readonly contexts: Readonly<Record<string, unknown>>;
}

/** The id of the data block the server writes. */
export const HYDRATION_ELEMENT_ID = 'mizan-hydration';

/**
 * The data block of `payload`, as the Rust server writes it: `<`, `>`, `&` and U+2028/U+2029
 * escaped, so no value can close the script. For a Node server that renders the React app.
 */
export function hydrationScript(payload: MizanHydration): string {
  const json = JSON.stringify({ version: payload.version, contexts: payload.contexts }).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `<script type="application/json" id="${HYDRATION_ELEMENT_ID}">${json}</script>`;
}

/** The payload in `text`, or `undefined` when it is not one (never throws). */
export function parseHydration(text: string): MizanHydration | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return undefined;
  }
  const contexts = (payload as { contexts?: unknown } | null)?.contexts;
  if (
    (payload as { version?: unknown } | null)?.version !== 1 ||
    contexts === null ||
    typeof contexts !== 'object' ||
    Array.isArray(contexts)
  ) {
    return undefined;
  }
  return { version: 1, contexts: contexts as Record<string, unknown> };
}

/** The payload the server put in `root` (default: this page), or `undefined` when there is none. */
export function getMizanHydration(
  root: Pick<Document, 'getElementById'> | undefined = globalThis.document,
): MizanHydration | undefined {
  const text = root?.getElementById(HYDRATION_ELEMENT_ID)?.textContent;
  return text ? parseHydration(text) : undefined;
}
