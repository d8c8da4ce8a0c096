import { describe, expect, it } from 'vitest';
import { targetTemplate } from '@tracetape/core';

describe('targetTemplate', () => {
  it('collapses IDs in the path, drops the port and query, and keeps the host whatever it looks like', () => {
    expect(targetTemplate('http://127.0.0.1:4020/orders/42/refunds?x=1')).toBe('http://127.0.0.1/orders/{id}/refunds');
    expect(targetTemplate('https://api2.example.com/v1/charges/ch_3MtwBwLkdIwHu7ix')).toBe('https://api2.example.com/v1/charges/{id}');
    expect(targetTemplate('postgres://10.0.0.12:5432/orders')).toBe('postgres://10.0.0.12/orders');
    expect(targetTemplate('/orders/123e4567-e89b-12d3-a456-426614174000')).toBe('/orders/{id}');
  });
});
