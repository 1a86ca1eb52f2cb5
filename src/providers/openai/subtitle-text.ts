/**
 * The plain text of an SRT or WebVTT document: cue numbers, identifiers, timings, headers, notes and
 * markup tags dropped, cue texts joined by spaces. Both formats are blank-line separated blocks in
 * which the spoken text follows the line with the "-->" timing, which is all this relies on.
 */
export function subtitleText(document: string): string {
  const texts: string[] = [];
  for (const block of document.replace(/\r\n?/g, "\n").split(/\n\s*\n/)) {
    const lines = block.split("\n");
    const timingAt = lines.findIndex((line) => line.includes("-->"));
    // Blocks without a timing are the WEBVTT header, NOTE, STYLE or REGION blocks.
    if (timingAt < 0) continue;
    const text = lines
      .slice(timingAt + 1)
      .map((line) => line.replace(/<[^>]*>/g, "").trim())
      .filter((line) => line !== "")
      .join(" ");
    if (text !== "") texts.push(text);
  }
  return texts.join(" ");
}
