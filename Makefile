# A thin layer over npm scripts and the ops scripts. `make help` lists the targets.
.PHONY: help dev deps services stop dev-status build lint test bench migrate admin audit-verify
.PHONY: backup backup-drill restore restore-confirm restore-rollback

help:
	@echo "make dev       install what is missing, start MariaDB, clamd, the app, the worker and a demo site"
	@echo "make test      run every test (starts MariaDB and clamd for tests if needed)"
	@echo "make lint      type-check, eslint, prettier and svelte-check"
	@echo "make bench     measure Parley against a bare Socket.IO relay"
	@echo "make admin     create the first admin account and print its password once"
	@echo "make migrate   bring the database schema up to date"
	@echo "make audit-verify  check the audit log's hash chain; reports the first altered, removed or reordered entry"
	@echo "make backup    take an encrypted, signed backup now (keep rules applied; ARGS=--prune-dry-run to only list)"
	@echo "make restore BACKUP=<file or name, here or offsite> KEY=<IT private key>  restore a backup (then make restore-confirm or restore-rollback)"
	@echo "make backup-drill KEY=<recipient private key>  prove the newest backup restores (ARGS=--status: last drill)"
	@echo "make services  start the private MariaDB and clamd;  make stop  stops them;  make dev-status"
	@echo "Appliance (Docker Compose; see README 'Install on your server'):"
	@echo "make install | up | down | status | logs | update | bundle | load | clamav-update SIGS=<dir>"
	@echo "make hardening-check   static CIS checks of docker-compose.yml;  make appliance-test  boots it for real"

dev:
	@bash ops/dev/run.sh

deps:
	@bash ops/dev/install-deps.sh

services: deps
	@bash ops/dev/secrets.sh
	@bash ops/dev/tls.sh
	@bash ops/dev/env.sh
	@bash ops/dev/services.sh start

stop:
	@bash ops/dev/services.sh stop

dev-status:
	@bash ops/dev/services.sh status

build: deps
	@npm run --silent build:ui

lint: deps
	@npm run --silent lint

test: services build
	@npm test

bench: services
	@npm run --silent bench

migrate: services
	@node_modules/.bin/node --env-file=.parley/parley.env ops/migrate.ts

admin: migrate
	@node_modules/.bin/node --env-file=.parley/parley.env ops/admin.ts $(ARGS)

audit-verify: services
	@node_modules/.bin/node --env-file=.parley/parley.env ops/auditVerify.ts

backup: services
	@node_modules/.bin/node --env-file=.parley/parley.env ops/backup.ts $(ARGS)

restore: services
	@BACKUP="$(BACKUP)" KEY="$(KEY)" KEY_PASSPHRASE_FILE="$(KEY_PASSPHRASE_FILE)" SIGNING_PUBLIC_KEY="$(SIGNING_PUBLIC_KEY)" node_modules/.bin/node --env-file=.parley/parley.env ops/restore.ts

restore-confirm: services
	@node_modules/.bin/node --env-file=.parley/parley.env ops/restore.ts --confirm

restore-rollback: services
	@node_modules/.bin/node --env-file=.parley/parley.env ops/restore.ts --rollback

backup-drill: services
	@KEY="$(KEY)" node_modules/.bin/node --env-file=.parley/parley.env ops/backupDrill.ts $(ARGS)

# The appliance's targets (install, up, down, status, logs, update, bundle, load, ...).
include compose/appliance.mk
