/**
 * Downloads made from a POST (the selection's ids are too many for a URL): the answer is saved as
 * a file through an object URL, as a link with `download` would.
 */
export async function downloadPost(url: string, body: unknown, fileName: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    const err = (await res.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
    throw new Error(err?.error?.message ?? res.statusText);
  }
  const href = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = href;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

/**
 * A zip of the selection: the server prepares a short-lived link, and the browser downloads it
 * itself (streamed to disk with its own progress, however big the originals are).
 */
export async function downloadZip(ids: string[], content: 'originals' | 'previews'): Promise<number> {
  const res = await fetch('/api/export/zip', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-outpost-csrf': '1' },
    body: JSON.stringify({ ids, content }),
  });
  const body = (await res.json().catch(() => undefined)) as
    { href?: string; items?: number; error?: { message?: string } } | undefined;
  if (!res.ok || !body?.href) throw new Error(body?.error?.message ?? res.statusText);
  const a = document.createElement('a');
  a.href = body.href;
  a.download = '';
  document.body.append(a);
  a.click();
  a.remove();
  return body.items ?? ids.length;
}
