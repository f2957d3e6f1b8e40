/**
 * Ways an exchange, a proxy page or a log line can echo credentials back: whole, in fragments, glued
 * to other text, encoded, in another case, cut by separators. The redaction rule: no run of 5+
 * characters of the API key and no run of 8+ characters of a secret or token survives, whatever
 * surrounds it.
 */
export function echoShapes(key: string, secret: string, token: string): string[] {
  return [
    `api_key=${key}`,
    `api_key=${key.slice(0, 10)}`,
    `{"api_key":"${key.slice(0, 9)}"}`,
    `api_key%3D${key.slice(2, 12)}&x=1`,
    `token${key.slice(5, 15)}suffix`,
    `ref=abc${key.slice(-6)}`,
    `lower ${key.toLowerCase()}`,
    `upper ${key.toUpperCase().slice(3, 11)}`,
    `chunked ${key.slice(0, 4)}-${key.slice(4, 8)}-${key.slice(8, 12)}-${key.slice(12, 16)}`,
    `spaced ${key.split('').join(' ')}`,
    `<b>${key.slice(1, 7)}</b>`,
    `key:${key.slice(0, 5)}`,
    `https://x.test/?k=${key}&s=${secret}`,
    `sig${secret.slice(-16)}`,
    `secret=${secret.slice(0, 8)}`,
    `x${secret.slice(10, 20)}y`,
    JSON.stringify({ secret }),
    `enc ${encodeURIComponent(secret)}`,
    `case ${secret.toLowerCase().slice(2, 14)}`,
    `Proxy-Authorization: Bearer ${token}`,
    `tok${token.slice(3, 15)}x`,
    `${key}${key}`,
    `zero-width ${key.slice(0, 4)}\u200b${key.slice(4, 12)}`,
    `secret split ${secret.slice(0, 4)} ${secret.slice(4, 8)} ${secret.slice(8, 12)}`,
  ];
}

/** Every run of `length` characters of `value` that `text` contains (letter case ignored). */
export function leakedRuns(text: string, value: string, length: number): string[] {
  const haystack = text.toLowerCase();
  const out: string[] = [];
  for (let i = 0; i + length <= value.length; i++) {
    const run = value.slice(i, i + length).toLowerCase();
    if (haystack.includes(run)) out.push(run);
  }
  return out;
}
