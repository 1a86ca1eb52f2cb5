import { redactionMark } from "./redact-secrets.js";

/** A URL without its userinfo and with every query value and fragment replaced. */
export function redactUrl(url: string): string {
  const schemeEnd = url.indexOf("://") + 3;
  const authorityEnd = firstIndexOf(url, ["/", "?", "#"], schemeEnd);
  const authority = url.slice(schemeEnd, authorityEnd);
  const at = authority.lastIndexOf("@");
  const host = at === -1 ? authority : `${redactionMark}@${authority.slice(at + 1)}`;
  const rest = url
    .slice(authorityEnd)
    .replace(/([?&][^=&#]*)=[^&#]*/g, `$1=${redactionMark}`)
    .replace(/#.*$/, `#${redactionMark}`);
  return `${url.slice(0, schemeEnd)}${host}${rest}`;
}

function firstIndexOf(text: string, needles: readonly string[], from: number): number {
  const found = needles.map((needle) => text.indexOf(needle, from)).filter((index) => index !== -1);
  return found.length === 0 ? text.length : Math.min(...found);
}
