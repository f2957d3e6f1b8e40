// Preloaded into a CLI run (NODE_OPTIONS=--require …) so a test can meet DNS failures without asking
// any resolver: names under .invalid do not exist (ENOTFOUND, NXDOMAIN), names under .again.invalid
// time out at the resolver (EAI_AGAIN). Every other name resolves as usual.
const dns = require('node:dns');
const original = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  const name = String(hostname).toLowerCase();
  if (name.endsWith('.invalid')) {
    const code = name.endsWith('.again.invalid') ? 'EAI_AGAIN' : 'ENOTFOUND';
    const err = Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), {
      code,
      errno: code === 'ENOTFOUND' ? -3008 : -3001,
      syscall: 'getaddrinfo',
      hostname,
    });
    process.nextTick(() => cb(err));
    return {};
  }
  return original.apply(this, arguments);
};
