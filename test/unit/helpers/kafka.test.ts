// The Kafka test broker's cluster id: the storage tool reads an id that starts with '-' as an option (a CI run
// failed so: "argument --cluster-id/-t: expected one argument"), so the helper never makes one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterId } from '../../helpers/kafka.js';

describe('Kafka test broker', () => {
  it('makes cluster ids as kafka-storage does: 22 base64url characters, never a leading dash', () => {
    // 4000 draws: without the check about 1 in 64 starts with '-', so some would
    for (let i = 0; i < 4000; i++) {
      const id = clusterId();
      assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/, id);
    }
  });
});
