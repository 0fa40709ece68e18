# A thin layer over npm scripts and the ops scripts. `make help` lists the targets.
.PHONY: help dev deps services stop dev-status build lint test bench migrate admin audit-verify redact-card-numbers
.PHONY: backup backup-drill backup-status restore restore-confirm restore-rollback alert-rules
.PHONY: dr-status failover rejoin failback dr-resume

help:
	@echo "make dev       install what is missing, start MariaDB, clamd, the app, the worker and a demo site"
	@echo "make test      run every test (starts MariaDB, clamd and Redis for tests if needed)"
	@echo "make lint      type-check, eslint, prettier and svelte-check"
	@echo "make bench     measure Parley against a bare Socket.IO relay"
	@echo "make admin     create the first admin account and print its password once"
	@echo "make migrate   bring the database schema up to date"
	@echo "make audit-verify  check the audit log's hash chain; reports the first altered, removed or reordered entry"
	@echo "make redact-card-numbers  mask card numbers an older version stored (audit log re-hashed; the update does it too)"
	@echo "make backup    take an encrypted, signed backup now (keep rules applied; ARGS=--prune-dry-run to only list)"
	@echo "make restore BACKUP=<file or name, here or offsite> KEY=<IT private key>  restore a backup (then make restore-confirm or restore-rollback)"
	@echo "make backup-drill KEY=<recipient private key>  prove the newest backup restores (ARGS=--status: last drill)"
	@echo "make backup-status  newest backup, last drill, offsite copies and alerts (exit 3 on an alert; ARGS=--json)"
	@echo "make services  start the private MariaDB, clamd and Redis;  make stop  stops them;  make dev-status"
	@echo "make status    every alert condition, OK or what to do (exit 3 when one fires); the appliance's when installed"
	@echo "make dr-status | failover | rejoin | failback | dr-resume   the standby site (README 'Disaster recovery'; FORCE=1 overrides a refusal)"
	@echo "make failover FROM=offsite KEY=<IT private key>  no standby: rebuild this site from the newest offsite backup that verifies"
	@echo "make alert-rules  write compose/prometheus/parley-alerts.yml from app/domain/monitoring/alerts.ts"
	@echo "Appliance (Docker Compose; see README 'Install on your server'):"
	@echo "make install | up | down | status | logs | update | bundle | load | clamav-update SIGS=<dir>"
	@echo "backup, restore, restore-confirm, restore-rollback, backup-drill, backup-status act on the appliance"
	@echo "  when CONFIG/appliance.env exists (else natively; native-backup etc. or appliance-backup etc. to choose)"
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

redact-card-numbers: services
	@node_modules/.bin/node --env-file=.parley/parley.env ops/redactCardNumbers.ts

# Where an appliance is installed (CONFIG/appliance.env exists), the backup commands act on it;
# otherwise on the native services (make dev). `make native-backup` etc. force the native ones.
INSTALLED_APPLIANCE := $(wildcard $(or $(CONFIG),$(PARLEY_CONFIG_DIR),config)/appliance.env)
BACKUP_COMMANDS := backup restore restore-confirm restore-rollback backup-drill backup-status
.PHONY: $(addprefix native-,$(BACKUP_COMMANDS))
$(BACKUP_COMMANDS): %: $(if $(INSTALLED_APPLIANCE),appliance-%,native-%)

native-backup: services
	@node_modules/.bin/node --env-file=.parley/parley.env ops/backup.ts $(ARGS)

native-restore: services
	@BACKUP="$(BACKUP)" KEY="$(KEY)" KEY_PASSPHRASE_FILE="$(KEY_PASSPHRASE_FILE)" SIGNING_PUBLIC_KEY="$(SIGNING_PUBLIC_KEY)" node_modules/.bin/node --env-file=.parley/parley.env ops/restore.ts

native-restore-confirm: services
	@node_modules/.bin/node --env-file=.parley/parley.env ops/restore.ts --confirm

native-restore-rollback: services
	@node_modules/.bin/node --env-file=.parley/parley.env ops/restore.ts --rollback

native-backup-drill: services
	@KEY="$(KEY)" node_modules/.bin/node --env-file=.parley/parley.env ops/backupDrill.ts $(ARGS)

native-backup-status: services
	@node_modules/.bin/node --env-file=.parley/parley.env ops/backupStatus.ts $(ARGS)

# `make status` likewise: the appliance's (services, backups and conditions) or, natively, the alert
# conditions (app/domain/monitoring/alerts.ts) evaluated now, as the Prometheus rules evaluate them.
.PHONY: status native-status
status: $(if $(INSTALLED_APPLIANCE),appliance-status,native-status)

native-status: services
	@node_modules/.bin/node --env-file=.parley/parley.env ops/status.ts $(ARGS)

alert-rules:
	@node_modules/.bin/node ops/alertRules.ts

# The appliance's targets (install, up, down, status, logs, update, bundle, load, ...).
include compose/appliance.mk

# Disaster recovery (issue 15): on the appliance when it is installed here (ops/appliance/dr.sh, in its
# ops container), else natively with this site's settings in .parley/parley.env (PARLEY_DR_*).
DR_COMMANDS := dr-status failover rejoin failback dr-resume
.PHONY: $(addprefix native-,$(DR_COMMANDS))
$(DR_COMMANDS): %: $(if $(INSTALLED_APPLIANCE),appliance-%,native-%)

native-dr-status:
	@node_modules/.bin/node --env-file=.parley/parley.env ops/dr.ts status $(ARGS)

# FROM=offsite: no standby; this site is rebuilt from the newest offsite backup that verifies.
native-failover:
	@FORCE="$(FORCE)" FROM="$(FROM)" KEY="$(KEY)" KEY_PASSPHRASE_FILE="$(KEY_PASSPHRASE_FILE)" SIGNING_PUBLIC_KEY="$(SIGNING_PUBLIC_KEY)" node_modules/.bin/node --env-file=.parley/parley.env ops/dr.ts failover

native-rejoin:
	@node_modules/.bin/node --env-file=.parley/parley.env ops/dr.ts rejoin

native-failback:
	@node_modules/.bin/node --env-file=.parley/parley.env ops/dr.ts failback

native-dr-resume:
	@FORCE="$(FORCE)" node_modules/.bin/node --env-file=.parley/parley.env ops/dr.ts resume
