/**
 * The server's form rules as the browser checks them: what Rust's `validator` crate (0.20) accepts,
 * where the browser's own notion differs (Zod's and the DOM's lengths count UTF-16 units, and
 * their email rules are not `validator`'s). The generated Zod schemas call these, and a shared
 * fixture holds both sides to the same answers.
 */

/** A text's length as `validator` counts it: Unicode scalar values (an emoji is one, not two). */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** The local part of an address (the WHATWG rule `validator` uses). */
const EMAIL_USER = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+$/;
/** A host name: labels of letters, digits and inner hyphens, at most 63 long. */
const EMAIL_DOMAIN =
  /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
/** An address literal, `[1.2.3.4]` or `[::1]`, at the end of the domain. */
const EMAIL_LITERAL = /\[([a-fA-F0-9:.]+)\]$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
/** What would make the URL parser read a domain as something else (a port, a path). */
const NOT_A_DOMAIN = /[\s/?#@:\\[\]%]/;

function isIpAddress(text: string): boolean {
  if (IPV4.test(text)) return true;
  if (!text.includes(':')) return false;
  try {
    return new URL(`http://[${text}]/`).hostname !== '';
  } catch {
    return false;
  }
}

function isDomain(domain: string): boolean {
  if (EMAIL_DOMAIN.test(domain)) return true;
  const literal = EMAIL_LITERAL.exec(domain);
  return literal?.[1] !== undefined && isIpAddress(literal[1]);
}

/** An internationalized domain in its ASCII form (`bücher.de` → `xn--bcher-kva.de`). */
function toAscii(domain: string): string | undefined {
  if (NOT_A_DOMAIN.test(domain)) return undefined;
  try {
    return new URL(`http://${domain}/`).hostname;
  } catch {
    return undefined;
  }
}

/** Whether `text` is an email address as `validator`'s `email` rule has it. */
export function isEmailAddress(text: string): boolean {
  const at = text.lastIndexOf('@');
  if (at < 0) return false;
  const user = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (characterCount(user) > 64 || characterCount(domain) > 255) return false;
  if (!EMAIL_USER.test(user)) return false;
  if (isDomain(domain)) return true;
  // The URL parser drops the last dot of a numeric host (`1.2.3.4.`), where IDNA keeps it.
  if (domain.endsWith('.')) return false;
  const ascii = toAscii(domain);
  return ascii !== undefined && isDomain(ascii);
}
