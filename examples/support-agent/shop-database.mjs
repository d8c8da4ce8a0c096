// The agent's tools against a database instead of the shop API: orders and refunds live in
// PostgreSQL (DATABASE_URL), the customer's session in Redis (REDIS_URL). A refund is a
// transaction: the refund row, then the order marked refunded. Tool results are JSON of the rows,
// printed as the HTTP tools print theirs.

import Redis from 'ioredis';
import pg from 'pg';

export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS orders (
     order_id text PRIMARY KEY, customer text NOT NULL, items jsonb NOT NULL, total_cents int NOT NULL,
     currency text NOT NULL, status text NOT NULL, refunded boolean NOT NULL DEFAULT false)`,
  `CREATE TABLE IF NOT EXISTS refunds (
     id serial PRIMARY KEY, order_id text NOT NULL REFERENCES orders, amount_cents int NOT NULL, reason text NOT NULL)`,
  `INSERT INTO orders VALUES
     ('1042', 'Dana Whitfield', '[{"sku":"KTL-200","name":"Ceramic pour-over kettle","qty":1,"price_cents":8990}]', 8990, 'USD', 'delivered', false),
     ('1043', 'Sam Okafor', '[{"sku":"MUG-010","name":"Stoneware mug","qty":2,"price_cents":1450}]', 2900, 'USD', 'shipped', false)
   ON CONFLICT DO NOTHING`,
];

export function openShop({ databaseUrl, redisUrl, customer }) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const redis = redisUrl ? new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 0 }) : undefined;
  const sessionKey = `session:${customer}`;

  async function lookupOrder({ order_id }) {
    const { rows } = await pool.query('SELECT order_id, customer, items, total_cents, currency, status, refunded FROM orders WHERE order_id = $1', [order_id]);
    return rows[0] ? { status: 200, text: JSON.stringify(rows[0]) } : { status: 404, text: JSON.stringify({ error: 'order not found' }) };
  }

  async function issueRefund({ order_id, amount_cents, reason }) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const order = await client.query('SELECT total_cents, refunded FROM orders WHERE order_id = $1 FOR UPDATE', [order_id]);
      if (!order.rows[0]) {
        await client.query('ROLLBACK');
        return { status: 404, text: JSON.stringify({ error: 'order not found' }) };
      }
      if (amount_cents > order.rows[0].total_cents) {
        await client.query('ROLLBACK');
        return { status: 422, text: JSON.stringify({ error: 'amount exceeds the order total' }) };
      }
      const refund = await client.query('INSERT INTO refunds (order_id, amount_cents, reason) VALUES ($1, $2, $3) RETURNING id', [order_id, amount_cents, reason]);
      await client.query('UPDATE orders SET refunded = true WHERE order_id = $1', [order_id]);
      await client.query('COMMIT');
      const refundId = `rf_${refund.rows[0].id.toString(16).padStart(6, '0')}`;
      await redis?.hset(sessionKey, 'last_refund', refundId);
      return { status: 201, text: JSON.stringify({ refund_id: refundId, order_id, amount_cents, status: 'issued' }) };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  return {
    /** The session the customer comes back to: how many visits, and the last refund it got. */
    async openSession() {
      if (!redis) return undefined;
      const visits = await redis.hincrby(sessionKey, 'visits', 1);
      await redis.expire(sessionKey, 86_400);
      const lastRefund = await redis.hget(sessionKey, 'last_refund');
      return { visits, lastRefund };
    },
    runTool(name, args) {
      if (name === 'lookup_order') return lookupOrder(args);
      if (name === 'issue_refund') return issueRefund(args);
      return Promise.resolve({ status: 0, text: JSON.stringify({ error: `unknown tool ${name}` }) });
    },
    async close() {
      await pool.end();
      await redis?.quit();
    },
  };
}
