/**
 * CSV (RFC 4180) for spreadsheets: every field quoted when it holds a comma, quote, CR or LF
 * (quotes doubled), CRLF line ends, and a UTF-8 BOM so Excel reads accented text right.
 */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvDocument(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const line = (r: readonly unknown[]): string => r.map((v) => csvField(v as string)).join(',');
  return '\uFEFF' + [line(header), ...rows.map(line)].join('\r\n') + '\r\n';
}
