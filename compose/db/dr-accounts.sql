-- The accounts of a DR pair (issue 15), beside the app's own. Each site runs this as root at every
-- start (the db image's entrypoint; the native DR tests through ops/dr/accounts.ts), out of the
-- binary log: each site keeps its own accounts, and replication never carries a password change.
-- @NAME@ placeholders are filled in with quoted values; @DB@ is a bare database name.
SET sql_log_bin = 0;
-- Fence and promote (READ_ONLY ADMIN, also what lets it write while read-only), repoint replication,
-- reload a re-seed; the parley database for the failover record and the re-seed.
-- Only over TLS: the peer site reaches it across the sites' link.
CREATE USER IF NOT EXISTS @ADMIN_USER@@'%' IDENTIFIED BY @ADMIN_PASSWORD@ REQUIRE SSL;
ALTER USER @ADMIN_USER@@'%' IDENTIFIED BY @ADMIN_PASSWORD@ REQUIRE SSL;
GRANT READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, REPLICATION MASTER ADMIN, BINLOG ADMIN, BINLOG MONITOR, SLAVE MONITOR, RELOAD, CONNECTION ADMIN ON *.* TO @ADMIN_USER@@'%';
GRANT ALL PRIVILEGES ON `@DB@`.* TO @ADMIN_USER@@'%';
-- Replication only, and only over TLS.
CREATE USER IF NOT EXISTS @REPL_USER@@'%' IDENTIFIED BY @REPL_PASSWORD@ REQUIRE SSL;
ALTER USER @REPL_USER@@'%' IDENTIFIED BY @REPL_PASSWORD@ REQUIRE SSL;
GRANT REPLICATION SLAVE ON *.* TO @REPL_USER@@'%';
SET sql_log_bin = 1;
