#!/usr/bin/env node
// kubectl's exec credential plugin entry (kgate kubeconfig add writes it into kubeconfig). The
// warm path — the broker daemon holds an active grant — imports only node: modules and answers
// in one round trip on the daemon's socket; anything else runs the full `kgate credential`.
const { fastCredential } = await import('../dist/broker/daemon/fast-credential.js');
const argv = process.argv.slice(2);
if (!(await fastCredential(argv, process.env, process.stdin.isTTY === true, (text) => process.stdout.write(text)))) {
  process.argv.splice(2, 0, 'credential');
  await import('./run.js');
}
