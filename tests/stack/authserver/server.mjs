// Local OAuth 2.0 authorization server for the test stack, built on oidc-provider.
//
// Usage: node server.mjs --config runtime.json
//
// runtime.json is written by hoopstack.launcher; it holds the signing key, the clients with
// their secrets or public keys, and their token shapes. Once listening, the server prints one
// JSON line {"issuer": ..., "port": ...} on stdout and nothing else.
//
// Besides the OAuth endpoints, /__stack/* offers test controls: injected token endpoint
// faults and a log of token endpoint requests (never secrets).

import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';

// oidc-provider 9 warns on import when the runtime is older than Node 22; Node 20 runs it
// fine and the warning would only be noise in every test log, so that one line is dropped.
const NODE_RUNTIME_WARNING = 'Unsupported runtime';
const { Provider, errors } = await (async () => {
  const { warn } = console;
  console.warn = (...args) => {
    if (!String(args[0]).includes(NODE_RUNTIME_WARNING)) warn(...args);
  };
  try {
    return await import('oidc-provider');
  } finally {
    console.warn = warn;
  }
})();

const { values: argv } = parseArgs({ options: { config: { type: 'string' } } });
if (!argv.config) {
  process.stderr.write('usage: node server.mjs --config <runtime.json>\n');
  process.exit(2);
}
const config = JSON.parse(readFileSync(argv.config, 'utf8'));

const clientsById = new Map(config.clients.map((c) => [c.client_id, c]));

function listen() {
  const server = config.tls
    ? https.createServer({
      cert: readFileSync(config.tls.cert),
      key: readFileSync(config.tls.key),
    })
    : http.createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port ?? 0, config.host ?? '127.0.0.1', () => resolve(server));
  });
}

// The issuer has to contain the port, which is only known once the socket is bound; so the
// socket is bound first and the provider attached to it afterwards.
const server = await listen();
const { port } = server.address();
const scheme = config.tls ? 'https' : 'http';
const issuer = `${scheme}://127.0.0.1:${port}`;

function presentedAuthMethod(ctx) {
  const params = ctx.oidc?.params ?? {};
  if (ctx.headers.authorization !== undefined) return 'client_secret_basic';
  if (params.client_secret) return 'client_secret_post';
  if (params.client_assertion) return 'private_key_jwt';
  return 'none';
}

// oidc-provider lets a client registered for client_secret_basic authenticate with
// client_secret_post and the other way round; the stack must refuse that like strict servers
// do, so that clients are tested on the method they were configured with.
function enforceRegisteredAuthMethod(ctx, client) {
  const presented = presentedAuthMethod(ctx);
  if (presented !== client.clientAuthMethod) {
    const error = new errors.InvalidClientAuth();
    // The stock description is the same as for a wrong secret; tests need to tell them apart.
    error.error_description = `client authentication method ${presented} is not the one `
      + `registered for this client (${client.clientAuthMethod})`;
    throw error;
  }
}

function requestedScopes(ctx) {
  const { scope } = ctx.oidc.params;
  return scope ? scope.split(' ').filter(Boolean) : [];
}

// Any resource indicator a client sends becomes the token's audience; without one, the
// configured default resource is used. This hook is also the only point oidc-provider calls
// between client authentication and token issuance, hence the checks of method and scopes here.
function resourceServerInfo(ctx, resource, client) {
  enforceRegisteredAuthMethod(ctx, client);
  const entry = clientsById.get(client.clientId);
  const allowed = new Set(entry.scopes ?? []);
  for (const scope of requestedScopes(ctx)) {
    if (!allowed.has(scope)) {
      throw new errors.InvalidScope(`scope "${scope}" is not allowed for this client`, scope);
    }
  }
  return {
    scope: [...allowed].join(' '),
    audience: resource,
    accessTokenFormat: entry.token_format ?? 'jwt',
    accessTokenTTL: entry.ttl ?? 3600,
    jwt: { sign: { alg: 'RS256' } },
  };
}

// Tokens live as long as the server: in memory, like oidc-provider's quick-start adapter, which
// would print a warning about production use into every stack log.
const storage = new Map();
class MemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
    storage.set(this.key(id), { payload, expiresAt });
  }

  async find(id) {
    const entry = storage.get(this.key(id));
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      storage.delete(this.key(id));
      return undefined;
    }
    return entry.payload;
  }

  async findByUid(uid) {
    for (const [key, { payload }] of storage) {
      if (key.startsWith(`${this.model}:`) && payload.uid === uid) return payload;
    }
    return undefined;
  }

  async findByUserCode(userCode) {
    for (const [key, { payload }] of storage) {
      if (key.startsWith(`${this.model}:`) && payload.userCode === userCode) return payload;
    }
    return undefined;
  }

  async consume(id) {
    const entry = storage.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    storage.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const [key, { payload }] of storage) {
      if (payload.grantId === grantId) storage.delete(key);
    }
  }
}

// Claims set to null in clients.json remove the claim (for instance a token without sub).
function shapedClaims(clientId) {
  return clientsById.get(clientId)?.claims ?? {};
}

const provider = new Provider(issuer, {
  adapter: MemoryAdapter,
  clients: config.clients.map((c) => ({
    client_id: c.client_id,
    ...(c.client_secret ? { client_secret: c.client_secret } : {}),
    ...(c.jwks ? { jwks: c.jwks } : {}),
    token_endpoint_auth_method: c.auth_method,
    grant_types: c.grant_types ?? ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  })),
  jwks: { keys: [config.signing_key] },
  cookies: { keys: [config.cookie_key] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      // Only clients registered for introspection (the gateway) may look into tokens.
      allowedPolicy: async (ctx, client) => Boolean(clientsById.get(client.clientId)?.introspection),
    },
    revocation: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => config.resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resource, client) => resourceServerInfo(ctx, resource, client),
    },
  },
  extraTokenClaims: async (ctx, token) => {
    const extra = {};
    for (const [name, value] of Object.entries(shapedClaims(token.clientId))) {
      if (value !== null) extra[name] = value;
    }
    // Introspection reports no sub for client-credentials tokens; the gateway resolves opaque
    // tokens through introspection, so the subject is carried in the token's extra claims.
    if (!('sub' in shapedClaims(token.clientId))) extra.sub = token.clientId;
    return extra;
  },
  formats: {
    customizers: {
      jwt: async (ctx, token, jwt) => {
        for (const [name, value] of Object.entries(shapedClaims(token.clientId))) {
          if (value === null) delete jwt.payload[name];
          else jwt.payload[name] = value;
        }
      },
    },
  },
  ttl: {
    ClientCredentials: (ctx, token, client) => clientsById.get(client.clientId)?.ttl ?? 3600,
    AccessToken: 3600,
    Grant: 3600,
    Session: 3600,
    Interaction: 600,
    IdToken: 3600,
  },
  clientBasedCORS: () => false,
});

provider.on('server_error', (ctx, err) => {
  process.stderr.write(`authserver: server error on ${ctx.path}: ${err.message}\n`);
});

const state = { faults: [], requests: [] };

// The client id of a failed Basic authentication, for the request log; the secret is ignored.
function basicClientId(ctx) {
  const [scheme, value] = (ctx.headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !value) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
  } catch {
    return null;
  }
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch {
        reject(new Error('body is not JSON'));
      }
    });
  });
}

function normaliseFault(spec) {
  const fault = {
    status: spec.status ?? null,
    remaining: spec.count ?? 1,
    retry_after: spec.retry_after ?? null,
    delay: spec.delay ?? 0,
    body: spec.body ?? null,
    content_type: spec.content_type ?? null,
    location: spec.location ?? null,
  };
  if (fault.location && fault.status === null) fault.status = 302;
  if (fault.body !== null && fault.status === null) fault.status = 200;
  return fault;
}

const FAULT_ERRORS = { 429: 'slow_down', 503: 'temporarily_unavailable' };

async function controlRoutes(ctx) {
  const route = `${ctx.method} ${ctx.path}`;
  switch (route) {
    case 'POST /__stack/faults': {
      let spec;
      try {
        spec = await readJson(ctx.req);
      } catch (err) {
        ctx.status = 400;
        ctx.body = { message: err.message };
        return;
      }
      state.faults.push(normaliseFault(spec));
      ctx.status = 201;
      ctx.body = { queued: state.faults.length };
      return;
    }
    case 'DELETE /__stack/faults':
      state.faults = [];
      ctx.status = 204;
      return;
    case 'GET /__stack/requests':
      ctx.body = state.requests;
      return;
    case 'DELETE /__stack/requests':
      state.requests = [];
      ctx.status = 204;
      return;
    default:
      ctx.status = 404;
      ctx.body = { message: 'no such control route' };
  }
}

const sleep = (seconds) => new Promise((resolve) => { setTimeout(resolve, seconds * 1000); });

// Faults queue up: each one applies to its next `count` requests, then the next one takes over.
// Returns true when the fault answered the request itself.
async function applyFault(ctx) {
  const [fault] = state.faults;
  if (!fault) return false;
  fault.remaining -= 1;
  if (fault.remaining <= 0) state.faults.shift();
  if (fault.delay) await sleep(fault.delay);
  if (fault.status === null) return false;

  ctx.status = fault.status;
  if (fault.retry_after !== null) ctx.set('Retry-After', String(fault.retry_after));
  if (fault.location) ctx.set('Location', fault.location);
  if (fault.body !== null) {
    ctx.type = fault.content_type ?? 'text/html';
    ctx.body = fault.body;
  } else if (fault.status >= 400) {
    ctx.body = {
      error: FAULT_ERRORS[fault.status] ?? 'server_error',
      error_description: 'fault injected by the test stack',
    };
  } else {
    ctx.body = '';
  }
  return true;
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/__stack/')) {
    await controlRoutes(ctx);
    return;
  }
  if (ctx.path !== '/token') {
    await next();
    return;
  }

  const faulted = await applyFault(ctx);
  if (!faulted) await next();

  // Recorded after the provider ran so that the parsed parameters are available.
  const params = faulted ? {} : (ctx.oidc?.params ?? {});
  let error;
  if (ctx.status >= 400 && ctx.body && typeof ctx.body === 'object') ({ error } = ctx.body);
  state.requests.push({
    method: ctx.method,
    path: ctx.path,
    status: ctx.status,
    client_id: ctx.oidc?.client?.clientId ?? params.client_id ?? basicClientId(ctx),
    auth_method: faulted ? null : presentedAuthMethod(ctx),
    grant_type: params.grant_type ?? null,
    error: error ?? null,
    fault: faulted,
  });
});

server.on('request', provider.callback());

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
