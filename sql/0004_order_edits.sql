-- Following orders edited or deleted in the shop after their deal was made.

-- The signature (transform.Signature: status, costs, weight, updatedon) of
-- each linked order's row whose mapping its deal last got. The comparison
-- pages this table by order_id and reads the same ids' rows in the shop:
-- narrow on purpose. deleted_at: the order was gone from the shop and its
-- deal was handled (orders.on_delete); the order is skipped from then on
-- and nothing is sent for it again.
CREATE TABLE IF NOT EXISTS {{prefix}}order_signatures (
  order_id   BIGINT      NOT NULL,
  signature  BIGINT      NOT NULL,
  deleted_at DATETIME(6) NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- What each linked order's deal last got, field by field (transform.Sent,
-- encoded: price, name, each custom field's digest, product lines with
-- their counts): read only for the orders whose signature changed.
CREATE TABLE IF NOT EXISTS {{prefix}}order_sent (
  order_id   BIGINT      NOT NULL,
  sent       MEDIUMBLOB  NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
