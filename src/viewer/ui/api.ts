/** GET one of the viewer's JSON endpoints; its type is the server's (src/viewer/ViewerApi.ts), same build. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const body: T = await res.json();
  return body;
}
