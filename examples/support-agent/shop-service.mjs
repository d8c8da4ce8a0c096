// The shop the support agent acts on. POST /refunds is the side effect that matters:
// every plain re-run of the agent refunds again, and a replay must never reach it.

import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const ORDERS = {
  1042: {
    order_id: '1042',
    customer: 'Dana Whitfield',
    items: [{ sku: 'KTL-200', name: 'Ceramic pour-over kettle', qty: 1, price_cents: 8990 }],
    total_cents: 8990,
    currency: 'USD',
    status: 'delivered',
  },
  1043: {
    order_id: '1043',
    customer: 'Sam Okafor',
    items: [{ sku: 'MUG-010', name: 'Stoneware mug', qty: 2, price_cents: 1450 }],
    total_cents: 2900,
    currency: 'USD',
    status: 'shipped',
  },
};

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

// slowFirstRefundMs: the first refund is issued at once but answered only after this long, as a
// payment API under load does: a client that gives up sooner sees a timeout for a refund that was
// made. Refunds carrying an Idempotency-Key are made once per key, as payment APIs do.
export function startShopService({ port = 0, slowFirstRefundMs = 0 } = {}) {
  const refunds = [];
  const byIdempotencyKey = new Map();
  let requests = 0;
  let refundsAnswered = 0;

  async function handle(req, res) {
    requests += 1;
    const { pathname } = new URL(req.url, 'http://localhost');
    const orderMatch = pathname.match(/^\/orders\/([^/]+)$/);

    if (req.method === 'GET' && orderMatch) {
      const order = ORDERS[decodeURIComponent(orderMatch[1])];
      return order ? sendJson(res, 200, order) : sendJson(res, 404, { error: 'order not found' });
    }
    if (req.method === 'GET' && pathname === '/refunds') return sendJson(res, 200, refunds);
    if (req.method === 'POST' && pathname === '/refunds') {
      const body = await readJson(req);
      const order = ORDERS[body?.order_id];
      if (!order) return sendJson(res, 404, { error: 'order not found' });
      const amount = body.amount_cents;
      if (!Number.isInteger(amount) || amount <= 0 || amount > order.total_cents) {
        return sendJson(res, 422, { error: `amount_cents must be an integer between 1 and ${order.total_cents}` });
      }
      const key = req.headers['idempotency-key'];
      if (key && byIdempotencyKey.has(key)) return sendJson(res, 200, byIdempotencyKey.get(key));
      // Without a key, deliberately no de-duplication: it makes a repeated side effect visible in the demo.
      const refund = {
        refund_id: `rf_${randomBytes(6).toString('hex')}`,
        order_id: order.order_id,
        amount_cents: amount,
        reason: String(body.reason ?? ''),
        status: 'issued',
      };
      refunds.push(refund);
      if (key) byIdempotencyKey.set(key, refund);
      if (refundsAnswered++ === 0 && slowFirstRefundMs > 0) await new Promise((resolve) => setTimeout(resolve, slowFirstRefundMs));
      return sendJson(res, 201, refund);
    }
    sendJson(res, 404, { error: `no route for ${req.method} ${pathname}` });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => sendJson(res, 500, { error: String(err?.message ?? err) }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        refunds,
        requestCount: () => requests,
        close: () => new Promise((done) => { server.close(() => done()); server.closeAllConnections(); }),
      });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { url } = await startShopService({ port: Number(process.env.PORT ?? 4020), slowFirstRefundMs: Number(process.env.SHOP_SLOW_FIRST_REFUND_MS ?? 0) });
  console.log(`shop service listening on ${url}`);
  console.log(`export SHOP_URL=${url}`);
}
