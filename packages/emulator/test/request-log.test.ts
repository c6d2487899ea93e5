import { describe, expect, it } from 'vitest';
import { RequestLog, type RequestLogEntry } from '../src/infra/request-log';

const req = (n: number): RequestLogEntry => ({
  method: 'GET',
  template: '/v1/nodes',
  path: `/v1/nodes?n=${n}`,
  status: 200,
  durationMs: 0,
});

describe('RequestLog', () => {
  it('keeps the newest entries oldest first once full, and counts every request', () => {
    const log = new RequestLog(3);
    for (let n = 1; n <= 5; n++) log.record(req(n));
    expect(log.list().map((e) => e.path)).toEqual(['/v1/nodes?n=3', '/v1/nodes?n=4', '/v1/nodes?n=5']);
    expect(log.countsByRoute()).toEqual({ 'GET /v1/nodes': 5 });
  });

  it('starts empty again after clear', () => {
    const log = new RequestLog(2);
    for (let n = 1; n <= 3; n++) log.record(req(n));
    log.clear();
    log.record(req(9));
    expect(log.list().map((e) => e.path)).toEqual(['/v1/nodes?n=9']);
  });
});
