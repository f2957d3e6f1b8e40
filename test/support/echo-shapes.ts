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
    const at = haystack.indexOf(run);
    // With the text around it (in lower case, where the index points): a failure shows where the run was found.
    if (at >= 0) out.push(`${run} in …${haystack.slice(Math.max(0, at - 60), at + length + 60)}…`);
  }
  return out;
}

/**
 * Echoes that hide a value behind an encoding or separators: each with the text an echo shows and the
 * spelling whose runs must not survive (the encoded form itself, or the value with separators taken out).
 */
export function encodedEchoShapes(key: string, secret: string, token: string): { name: string; text: string; spelled: string; run: number }[] {
  const b64 = (v: string) => Buffer.from(v).toString('base64');
  const hex = (v: string) => Buffer.from(v).toString('hex');
  const bare = (v: string) => v.replace(/[^A-Za-z0-9]/g, '');
  return [
    { name: 'key base64', text: b64(key), spelled: b64(key), run: 8 },
    { name: 'secret base64', text: b64(secret), spelled: b64(secret), run: 8 },
    { name: 'secret base64url', text: Buffer.from(secret).toString('base64url'), spelled: Buffer.from(secret).toString('base64url'), run: 8 },
    { name: 'proxy Basic credentials', text: `Proxy-Authorization: Basic ${b64(`bot:${token}`)}`, spelled: b64(`bot:${token}`).slice(6), run: 8 },
    { name: 'key hex', text: hex(key), spelled: hex(key), run: 10 },
    { name: 'secret hex in upper case', text: hex(secret).toUpperCase(), spelled: hex(secret), run: 10 },
    { name: 'key as decimal HTML entities', text: [...key].map((c) => `&#${c.charCodeAt(0)};`).join(''), spelled: key, run: 5 },
    { name: 'key as hex HTML entities', text: [...key].map((c) => `&#x${c.charCodeAt(0).toString(16)};`).join(''), spelled: key, run: 5 },
    { name: 'key as \\u escapes', text: [...key].map((c) => '\\u00' + c.charCodeAt(0).toString(16)).join(''), spelled: key, run: 5 },
    { name: 'secret percent-encoded every character', text: [...secret].map((c) => '%' + c.charCodeAt(0).toString(16)).join(''), spelled: secret, run: 8 },
    { name: 'key in fullwidth letters', text: [...key].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join(''), spelled: key, run: 5 },
    { name: 'key cut into pieces of 3', text: `x ${key.slice(4, 7)} ${key.slice(7, 10)} y`, spelled: bare(key), run: 6 },
    { name: 'key cut by 4 dashes', text: `${key.slice(4, 9)}----${key.slice(9, 14)}`, spelled: bare(key), run: 6 },
    { name: 'secret every 2 characters', text: secret.match(/.{1,2}/g)!.join('|'), spelled: bare(secret), run: 8 },
    { name: 'token cut by an underscore', text: token.slice(0, 7) + '_' + token.slice(7, 14), spelled: bare(token), run: 8 },
    // Two layers, and the looser spellings of the same escapes.
    { name: 'secret percent-encoded twice', text: [...secret].map((c) => '%25' + c.charCodeAt(0).toString(16)).join(''), spelled: secret, run: 8 },
    { name: 'key as entities inside escaped HTML', text: [...key].map((c) => `&amp;#${c.charCodeAt(0)};`).join(''), spelled: key, run: 5 },
    { name: 'key as entities without semicolons', text: [...key].map((c) => `&#${c.charCodeAt(0)}`).join(''), spelled: key, run: 5 },
    { name: 'key as \\u{…} escapes', text: [...key].map((c) => `\\u{${c.charCodeAt(0).toString(16)}}`).join(''), spelled: key, run: 5 },
    { name: 'key as octal escapes', text: [...key].map((c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0')).join(''), spelled: key, run: 5 },
    { name: 'secret quoted-printable', text: [...secret].map((c) => '=' + c.charCodeAt(0).toString(16).toUpperCase()).join(''), spelled: secret, run: 8 },
    { name: 'key hex dump with spaces', text: hex(key).match(/../g)!.join(' '), spelled: hex(key), run: 10 },
    { name: 'secret hex dump with colons', text: hex(secret).match(/../g)!.join(':'), spelled: hex(secret), run: 10 },
    {
      name: 'key as UTF-16 hex',
      text: Buffer.from(key, 'utf16le').swap16().toString('hex'),
      spelled: Buffer.from(key, 'utf16le').swap16().toString('hex'),
      run: 10,
    },
  ];
}
