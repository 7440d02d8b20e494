// A real OpenID Connect provider (oidc-provider) for tests, on loopback.
//
// Usage: node tests/oidc/provider.mjs CONFIG.json
// CONFIG keys: port and issuer (port 0 or absent: a free port, issuer
// http://127.0.0.1:<port>), clients (oidc-provider client metadata), accounts_file
// (JSON: login name -> claims), claims (scope -> claim names), and optionally
// exit_on_stdin_close (exit when the parent closes our stdin, e.g. when it dies).
//
// Code flow only, PKCE (S256) required for every client, the development login form
// (any password; the login name is the `sub`), consent auto-granted, RP-initiated
// logout on. Prints exactly one stdout line, `READY <issuer>`, once listening; all
// diagnostics go to stderr.

import { generateKeyPair, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { promisify } from 'node:util';

// oidc-provider prints notices with console.info: keep stdout for the READY line.
console.info = console.error;
console.log = console.error;

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

// Re-read on every call so a test can change a user's claims between two logins.
// A login name missing from the file is an account with no claims but `sub`.
function readAccounts() {
  try {
    return JSON.parse(readFileSync(config.accounts_file, 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return {};
    throw err;
  }
}

async function findAccount(ctx, sub) {
  const accounts = readAccounts();
  const record = Object.hasOwn(accounts, sub) ? accounts[sub] : {};
  return {
    accountId: sub,
    async claims() {
      return { ...record, sub };
    },
  };
}

// No consent screen: grant whatever the request asks for (documented pattern for
// first-party clients). Existing grants of the same account are extended.
async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const accountId = oidc.account.accountId;
  const clientId = oidc.client.clientId;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (!grant || grant.accountId !== accountId || grant.clientId !== clientId) {
    grant = new oidc.provider.Grant({ accountId, clientId });
  }
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  grant.addOIDCClaims([...oidc.requestParamClaims]);
  await grant.save();
  return grant;
}

// The signing key is generated (in the thread pool) while oidc-provider loads.
const [{ default: Provider }, { privateKey }] = await Promise.all([
  import('oidc-provider'),
  promisify(generateKeyPair)('rsa', { modulusLength: 2048 }),
]);

// Listen first: with `port` 0 the OS picks a free port (no race) and the issuer is
// http://127.0.0.1:<that port>.
let handler = (req, res) => {
  res.statusCode = 503;
  res.end();
};
const server = createServer((req, res) => handler(req, res));
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(config.port ?? 0, '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = config.port ? config.issuer : `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: config.clients,
  claims: config.claims,
  findAccount,
  loadExistingGrant,
  responseTypes: ['code'],
  pkce: { required: () => true },
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test', alg: 'RS256', use: 'sig' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

// Validate the client metadata now (oidc-provider does it lazily) to fail fast.
for (const { client_id: clientId } of config.clients) {
  await provider.Client.find(clientId);
}

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (config.exit_on_stdin_close) {
  process.stdin.on('end', shutdown);
  process.stdin.resume();
}

handler = provider.callback();
process.stdout.write(`READY ${issuer}\n`);
