-- Least-privilege MySQL/MariaDB account of modx-amocrm, as `modx-amocrm grants`
-- prints it for its config; `modx-amocrm check` compares it with what the
-- account has. Run it as an administrator (mariadb -uroot < grants.sql) after
-- replacing 'change-me' with the password, which the connector reads from
-- modx.password (state.password), their _file keys or systemd credentials.
-- Print it again after changing the config: it names only what this config
-- reads and writes.
--
-- MODX: schema `modx`, table prefix "modx_"; the database was not looked at.
-- State: in the MODX schema (state.dsn is empty), tables amocrm_sync_*.
--
-- Two accounts, one per way in: MySQL matches an account by the client's host,
-- and 'localhost' is only the Unix socket (DSN unix(/run/mysqld/mysqld.sock)).
-- A TCP connection to 127.0.0.1 is the account '127.0.0.1', always so with
-- skip_name_resolve (common). modx.dsn connects over TCP to 127.0.0.1:
-- '127.0.0.1'; drop the other.
--
-- Connections: a daemon holds at most 9 sessions (MODX pool 4, state pool 4,
-- instance lock 1); each command beside it (check, status, failed, retry, run
-- -once) at most 9 while it runs; a standby daemon as many as a daemon. 40 per
-- account leaves room for a daemon, a standby and two commands at once.

CREATE USER IF NOT EXISTS 'modx_amocrm'@'localhost' IDENTIFIED BY 'change-me' WITH MAX_USER_CONNECTIONS 40;
CREATE USER IF NOT EXISTS 'modx_amocrm'@'127.0.0.1' IDENTIFIED BY 'change-me' WITH MAX_USER_CONNECTIONS 40;

-- Read the shop: orders, logs, forms, users, settings, the old extra's tables.
-- The whole schema, as which of them exist was not looked at. In a schema-level
-- GRANT, _ and % in the name are wildcards: written \_ and \% they are meant
-- literally.
GRANT SELECT ON `modx`.* TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';

-- [shop_status] is off: nothing is written into the shop. Turned on, it moves
-- an order when its deal moves in amoCRM, and needs these two grants as well:
-- an order's status and updatedon (column-level: no other column of an order),
-- and new log rows (no UPDATE or DELETE of any).
-- miniShop2:
-- GRANT UPDATE (`status`, `updatedon`) ON `modx`.`modx_ms2_orders` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
-- GRANT INSERT ON `modx`.`modx_ms2_order_logs` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
-- MiniShop3:
-- GRANT UPDATE (`status_id`, `updatedon`) ON `modx`.`modx_ms3_orders` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
-- GRANT INSERT ON `modx`.`modx_ms3_order_logs` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';

-- The state tables, each by name with CREATE, so they can be created and
-- migrated before they exist: the account may change these and no other table
-- of the MODX schema. A later version with a new table needs its grant
-- (`modx-amocrm check` says).
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `modx`.`amocrm_sync_catalog_elements` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `modx`.`amocrm_sync_contact_index` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `modx`.`amocrm_sync_failures` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `modx`.`amocrm_sync_links` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `modx`.`amocrm_sync_meta` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `modx`.`amocrm_sync_order_sent` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `modx`.`amocrm_sync_order_signatures` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `modx`.`amocrm_sync_pending` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `modx`.`amocrm_sync_schema_migrations` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `modx`.`amocrm_sync_tokens` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `modx`.`amocrm_sync_waiting` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `modx`.`amocrm_sync_watermarks` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';

-- GET_LOCK / RELEASE_LOCK (the migration and instance locks) need no
-- privilege, nor does reading the user's own sessions in PROCESSLIST (status).
