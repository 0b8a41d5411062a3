#!/usr/bin/env node
// kubectl's exec credential plugin entry (kgate kubeconfig add writes it into kubeconfig). The
// warm paths answer without the CLI: a gateway context from its cached credential file
// (src/broker/context/gateway-warm.ts), a broker context in one round trip on the daemon's
// socket (src/broker/daemon/fast-credential.ts); anything else runs the full `kgate credential`.
// Built-ins come from process.getBuiltinModule and the answer goes straight to fd 1: an ESM
// import of a `node:` module, or process.stdin/stdout (streams), each cost milliseconds here.
const argv = process.argv.slice(2);
let answered = false;
if (typeof process.getBuiltinModule === 'function') {
  const { isatty } = process.getBuiltinModule('node:tty');
  const { writeSync } = process.getBuiltinModule('node:fs');
  const write = (text) => {
    const bytes = Buffer.from(text);
    let at = 0;
    try {
      while (at < bytes.length) at += writeSync(1, bytes, at);
    } catch (error) {
      // A non-blocking stdout (kubectl's is blocking): the stream waits for it.
      if (error.code !== 'EAGAIN') throw error;
      process.stdout.write(bytes.subarray(at));
    }
  };
  if (argv.includes('--gateway')) {
    const { gatewayWarmCredential } = await import('../dist/broker/context/gateway-warm.js');
    answered = gatewayWarmCredential(argv, process.env, isatty(0), write, process.ppid);
  } else {
    const { fastCredential } = await import('../dist/broker/daemon/fast-credential.js');
    answered = await fastCredential(argv, process.env, isatty(0), write);
  }
}
// Also where Node is too old for the above: run.js says so in one line.
if (!answered) {
  process.argv.splice(2, 0, 'credential');
  await import('./run.js');
}
