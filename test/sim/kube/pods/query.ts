/** Query-parameter conversion as apimachinery does it (runtime/conversion.go). */

/** First value only; absent → false; `0` or any-case `false` → false; anything else, even empty → true. */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  if (raw === null) return false;
  return raw !== '0' && raw.toLowerCase() !== 'false';
}
