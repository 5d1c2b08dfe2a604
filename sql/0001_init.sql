-- State tables of modx-amocrm. {{prefix}} is state.table_prefix (default amocrm_sync_).
-- Portable between MariaDB 10.11 and MySQL 8: InnoDB, utf8mb4 with a binary
-- collation (keys and kinds match exactly), BIGINT ids (amoCRM ids outgrow INT),
-- DATETIME(6) holding UTC written by the daemon (never NOW(): the session zone varies).
-- IF NOT EXISTS lets a migration interrupted half-way be applied again.

-- Highest source id (or log id) fully handled, per source: orders, order_logs, forms, users.
CREATE TABLE IF NOT EXISTS {{prefix}}watermarks (
  source     VARCHAR(32) NOT NULL,
  value      BIGINT      NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (source)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- What a MODX record became in amoCRM, with the hash of the payload last sent.
CREATE TABLE IF NOT EXISTS {{prefix}}links (
  kind       VARCHAR(32) NOT NULL,
  source_id  BIGINT      NOT NULL,
  amo_id     BIGINT      NOT NULL,
  hash       CHAR(64) CHARACTER SET ascii NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (kind, source_id),
  KEY amo_id (amo_id, kind)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Written and committed before an amoCRM create; lookup_key finds the entity
-- after an unknown outcome (order number, or a contact's phone/e-mail key).
CREATE TABLE IF NOT EXISTS {{prefix}}pending (
  kind         VARCHAR(32)  NOT NULL,
  source_id    BIGINT       NOT NULL,
  lookup_key   VARCHAR(191) NOT NULL,
  payload_hash CHAR(64) CHARACTER SET ascii NOT NULL,
  created_at   DATETIME(6)  NOT NULL,
  PRIMARY KEY (kind, source_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Rows seen but not ready yet (an order at status 0), so watermarks can pass them.
CREATE TABLE IF NOT EXISTS {{prefix}}waiting (
  kind      VARCHAR(32)  NOT NULL,
  source_id BIGINT       NOT NULL,
  since     DATETIME(6)  NOT NULL,
  reason    VARCHAR(255) NOT NULL,
  PRIMARY KEY (kind, source_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Normalised "phone:79991234567" / "email:a@b.ru" -> amoCRM contact id.
-- 191 characters keep the key within 767 index bytes on old row formats.
CREATE TABLE IF NOT EXISTS {{prefix}}contact_index (
  contact_key VARCHAR(191) NOT NULL,
  contact_id  BIGINT       NOT NULL,
  source      VARCHAR(16)  NOT NULL,
  updated_at  DATETIME(6)  NOT NULL,
  PRIMARY KEY (contact_key),
  KEY contact_id (contact_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Parked records. next_attempt_at NULL: automatic retries used up, waits for `retry`.
CREATE TABLE IF NOT EXISTS {{prefix}}failures (
  kind            VARCHAR(32) NOT NULL,
  source_id       BIGINT      NOT NULL,
  reason          TEXT        NOT NULL,
  attempts        INT         NOT NULL,
  next_attempt_at DATETIME(6) NULL,
  first_failed_at DATETIME(6) NOT NULL,
  last_failed_at  DATETIME(6) NOT NULL,
  payload         MEDIUMTEXT  NULL,
  PRIMARY KEY (kind, source_id),
  KEY next_attempt_at (kind, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- OAuth tokens, one row per account; token_json is '' until the first token.
CREATE TABLE IF NOT EXISTS {{prefix}}tokens (
  name       VARCHAR(191) NOT NULL,
  token_json TEXT         NOT NULL,
  updated_at DATETIME(6)  NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Small key/values: the created pipeline id, the contact-index cursor, cron runs.
CREATE TABLE IF NOT EXISTS {{prefix}}meta (
  name       VARCHAR(191) NOT NULL,
  value      MEDIUMTEXT   NOT NULL,
  updated_at DATETIME(6)  NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
