// The images' HEALTHCHECK: exits 0 when the service answers, 1 otherwise, printing why.
//   node healthcheck.mjs grpc [host:port]   coordinator: grpc.health.v1 Check reports SERVING
//   node healthcheck.mjs http [host:port]   worker: GET /metrics answers 200 (it has no other endpoint)
// Without an address, the service's own listen setting is used (TRIBUTARY_LISTEN for grpc,
// TRIBUTARY_METRICS_LISTEN for http), an any-address host (0.0.0.0, [::]) dialled on loopback, then the
// services' default ports. Kubernetes does not run it: its probes do the same checks themselves.
import { createClient } from '@tributary/client';

const DEFAULTS = {
  grpc: { variable: 'TRIBUTARY_LISTEN', address: '127.0.0.1:7070' },
  http: { variable: 'TRIBUTARY_METRICS_LISTEN', address: '127.0.0.1:9465' },
};
/** A check that has not answered by then has failed: a hung server must not pass. */
const TIMEOUT_MS = 4_000;

/** The address to dial: `given`, else the listen variable's, with an any-address host made loopback. */
function dialAddress(mode, given, env) {
  const address = given ?? (env[DEFAULTS[mode].variable] || DEFAULTS[mode].address);
  if (address === 'off') throw new Error(`${DEFAULTS[mode].variable} is off: there is nothing to check`);
  return address.replace(/^(0\.0\.0\.0|\[::\]):/, '127.0.0.1:');
}

async function checkGrpc(address) {
  const client = createClient({ address });
  try {
    const status = await client.checkHealth('');
    if (status !== 'SERVING') throw new Error(`gRPC health of ${address} is ${status}`);
  } finally {
    client.close();
  }
}

async function checkHttp(address) {
  const response = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  await response.body?.cancel();
  if (response.status !== 200) throw new Error(`GET http://${address}/metrics answered ${response.status}`);
}

async function main(argv, env) {
  const [mode, given] = argv;
  if (mode !== 'grpc' && mode !== 'http') {
    throw new Error(`usage: healthcheck.mjs grpc|http [host:port], got ${JSON.stringify(mode)}`);
  }
  const address = dialAddress(mode, given, env);
  const timer = setTimeout(() => {
    process.stderr.write(`unhealthy: no answer from ${address} within ${TIMEOUT_MS}ms\n`);
    process.exit(1);
  }, TIMEOUT_MS);
  try {
    await (mode === 'grpc' ? checkGrpc(address) : checkHttp(address));
  } finally {
    clearTimeout(timer);
  }
}

try {
  await main(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`unhealthy: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
