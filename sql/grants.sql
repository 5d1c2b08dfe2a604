-- Least-privilege MySQL/MariaDB user for modx-amocrm.
--
-- Run as an administrator, after replacing the password, the MODX schema
-- name (`modx` here) and the table prefix (`modx_`). The daemon reads MODX's
-- tables and writes its own state tables (amocrm_sync_* by default); with
-- [shop_status] on it also moves orders, and needs the two grants below.
--
-- Recommended: keep the state in a separate schema and set in config.toml
--   [state]
--   dsn = "modx_amocrm@tcp(127.0.0.1:3306)/modx_amocrm?charset=utf8mb4&parseTime=true"
-- The tables are created by `modx-amocrm run` or `check` (migrations).

CREATE USER IF NOT EXISTS 'modx_amocrm'@'localhost' IDENTIFIED BY 'change-me'
  WITH MAX_USER_CONNECTIONS 5;  -- a pool, the migration lock and the token lock

-- Read the shop: orders, logs, forms, users, settings, the old extra's tables.
GRANT SELECT ON `modx`.* TO 'modx_amocrm'@'localhost';

-- [shop_status]: when a manager moves a deal in amoCRM, its order follows. The
-- connector then writes two things into the shop and may write nothing else:
-- an order's status and updatedon (column-level: no other column of an order),
-- and new log rows (no UPDATE or DELETE of any). Leave these out while
-- shop_status is off; `modx-amocrm check` probes them when it is on.
GRANT UPDATE (status, updatedon) ON `modx`.`modx_ms2_orders` TO 'modx_amocrm'@'localhost';
GRANT INSERT ON `modx`.`modx_ms2_order_logs` TO 'modx_amocrm'@'localhost';
-- MiniShop3 (MODX 3) instead:
-- GRANT UPDATE (status_id, updatedon) ON `modx`.`modx_ms3_orders` TO 'modx_amocrm'@'localhost';
-- GRANT INSERT ON `modx`.`modx_ms3_order_logs` TO 'modx_amocrm'@'localhost';

-- Own the state schema: create, migrate and write the state tables.
CREATE DATABASE IF NOT EXISTS `modx_amocrm` CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON `modx_amocrm`.* TO 'modx_amocrm'@'localhost';

-- GET_LOCK / RELEASE_LOCK (the migration lock) need no privilege.

-- Keeping the state in the MODX schema instead (state.dsn = ""):
-- MySQL and MariaDB cannot grant on a table-name pattern such as
-- `modx`.`amocrm_sync_%` (a `%` in a table name is taken literally), and the
-- tables must exist before a table-level GRANT can name them. The user then
-- needs write rights on the WHOLE MODX schema, i.e. it could change or drop
-- MODX's own tables too. Prefer the separate schema above. If you accept it:
--
-- GRANT SELECT, CREATE, ALTER, INDEX, INSERT, UPDATE, DELETE
--   ON `modx`.* TO 'modx_amocrm'@'localhost';
--
-- A narrower variant: create the tables once as an administrator
-- (modx-amocrm check with an admin DSN), then grant per table, e.g.
-- GRANT SELECT, INSERT, UPDATE, DELETE ON `modx`.`amocrm_sync_links` TO 'modx_amocrm'@'localhost';
-- (repeat for every amocrm_sync_* table); a later version with a new
-- migration then needs the administrator again.
