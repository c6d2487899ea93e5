/** A short, single-line excerpt of a body for messages (HTML tags and line breaks removed). */
export function excerpt(text: string, max = 160): string {
  const line = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** Joins a multi-line field into one line; a final period is dropped because the sentence goes on. */
export function joinLines(text: string): string {
  return text
    .trim()
    .split(/\s*\n\s*/)
    .join(' / ')
    .replace(/\.$/, '');
}
