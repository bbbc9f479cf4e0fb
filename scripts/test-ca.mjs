// A throw-away certificate authority for the test suite: a CA and a server certificate for
// 127.0.0.1 / localhost signed by it, made with openssl once per `npm test` run. scripts/test.mjs
// points NODE_EXTRA_CA_CERTS at the CA, so every test process (node:test runs each file in its
// own process, and Node reads NODE_EXTRA_CA_CERTS only at start) trusts HTTPS servers that use
// the certificate — exactly what a user does with a private CA ("give Switchboard a certificate
// your bot trusts"). Tests find the files through SWITCHBOARD_TEST_TLS_DIR. Never used outside tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Creates ca.pem, server.pem and server.key in a new temp folder; returns the folder, or undefined without openssl. */
export function makeTestCa() {
  const dir = mkdtempSync(join(tmpdir(), 'sb-test-ca-'));
  const ssl = (...args) => spawnSync('openssl', args, { cwd: dir, stdio: 'pipe' }).status === 0;
  writeFileSync(join(dir, 'server.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const ok = ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
      '-days', '2', '-subj', '/CN=Switchboard test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    && ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost')
    && ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
  return ok ? dir : undefined;
}
