-- Least-privilege MySQL/MariaDB user for modx-amocrm.
--
-- Run as an administrator (mariadb -uroot < grants.sql), after replacing the
-- password, the MODX schema name (`modx` here) and the table prefix (`modx_`).
-- The daemon reads MODX's tables and writes its own state tables
-- (amocrm_sync_* by default), kept here in a separate schema; with
-- [shop_status] on it also moves orders, and needs the two grants below:
--
--   [modx]
--   dsn = "modx_amocrm@tcp(127.0.0.1:3306)/modx"
--   [state]
--   dsn = "modx_amocrm@tcp(127.0.0.1:3306)/modx_amocrm"
--
-- (the password in modx.password / state.password, their _file keys or
-- systemd credentials). The state tables are created by `modx-amocrm run`
-- or `check` (migrations).
--
-- Two accounts, one per way in: MySQL matches an account by the client's
-- host, and 'localhost' is only the Unix socket (DSN unix(/run/mysqld/mysqld.sock)).
-- A TCP connection to 127.0.0.1 is the account '127.0.0.1', always so with
-- skip_name_resolve (common). Drop the one you do not use; a daemon on
-- another machine needs an account for its address.
--
-- Connections: a daemon holds at most 9 sessions (MODX pool 4, state pool 4,
-- instance lock 1); each command beside it (check, status, failed, retry,
-- run -once) at most 9 while it runs; a standby daemon as many as a daemon.
-- 40 per account leaves room for a daemon, a standby and two commands at once.

CREATE USER IF NOT EXISTS 'modx_amocrm'@'localhost' IDENTIFIED BY 'change-me' WITH MAX_USER_CONNECTIONS 40;
CREATE USER IF NOT EXISTS 'modx_amocrm'@'127.0.0.1' IDENTIFIED BY 'change-me' WITH MAX_USER_CONNECTIONS 40;

-- In a GRANT, _ and % in a schema name are wildcards: `modx_amocrm`.* would
-- also cover a schema modxXamocrm. Write each _ of a schema name as \_ there.

-- Read the shop: orders, logs, forms, users, settings, the old extra's tables.
GRANT SELECT ON `modx`.* TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';

-- [shop_status]: when a manager moves a deal in amoCRM, its order follows. The
-- connector then writes two things into the shop and may write nothing else:
-- an order's status and updatedon (column-level: no other column of an order),
-- and new log rows (no UPDATE or DELETE of any). Leave these out while
-- shop_status is off; `modx-amocrm check` probes them when it is on.
-- (Table grants take names literally: no \_ here.)
GRANT UPDATE (status, updatedon) ON `modx`.`modx_ms2_orders` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
GRANT INSERT ON `modx`.`modx_ms2_order_logs` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
-- MiniShop3 (MODX 3) instead:
-- GRANT UPDATE (status_id, updatedon) ON `modx`.`modx_ms3_orders` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
-- GRANT INSERT ON `modx`.`modx_ms3_order_logs` TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';

-- Own the state schema: create, migrate and write the state tables.
CREATE DATABASE IF NOT EXISTS `modx_amocrm` CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON `modx\_amocrm`.* TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';

-- GET_LOCK / RELEASE_LOCK (the migration and instance locks) need no
-- privilege, nor does reading the user's own sessions in PROCESSLIST (status).

-- Keeping the state in the MODX schema instead (state.dsn = ""):
-- MySQL and MariaDB cannot grant on a table-name pattern such as
-- `modx`.`amocrm_sync_%` (a `%` in a table name is taken literally), and the
-- tables must exist before a table-level GRANT can name them. The user then
-- needs write rights on the WHOLE MODX schema, i.e. it could change or drop
-- MODX's own tables too. Prefer the separate schema above. If you accept it:
--
-- GRANT SELECT, CREATE, ALTER, INDEX, INSERT, UPDATE, DELETE
--   ON `modx`.* TO 'modx_amocrm'@'localhost', 'modx_amocrm'@'127.0.0.1';
--
-- A narrower variant: create the tables once as an administrator
-- (modx-amocrm check with an admin DSN), then grant per table, e.g.
-- GRANT SELECT, INSERT, UPDATE, DELETE ON `modx`.`amocrm_sync_links` TO 'modx_amocrm'@'127.0.0.1';
-- (repeat for every amocrm_sync_* table); a later version with a new
-- migration then needs the administrator again.
