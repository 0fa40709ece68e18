#!/bin/bash
# Healthy when the server answers a query on its socket (the socket appears only after init).
exec mariadb --protocol=socket --socket=/run/mysqld/mysqld.sock --connect-timeout=3 \
  --batch --skip-column-names -e 'SELECT 1' >/dev/null
