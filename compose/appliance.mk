# Parley appliance: the IT admin's commands over docker-compose.yml (see compose/README-install.md).
# Included by the root Makefile and by the bundle's Makefile; also `make -f compose/appliance.mk TARGET`.
#   CONFIG=<dir>  the site's settings, secrets and certificates (default: config)
.PHONY: install up down appliance-status logs update bundle load clamav-update appliance-test dr-test hardening-check images
.PHONY: appliance-backup appliance-restore appliance-restore-confirm appliance-restore-rollback
.PHONY: appliance-backup-drill appliance-backup-status
.PHONY: appliance-dr-status appliance-failover appliance-rejoin appliance-failback appliance-dr-resume

APPLIANCE_ENV = PARLEY_CONFIG_DIR="$(or $(CONFIG),$(PARLEY_CONFIG_DIR),config)"

install:
	@$(APPLIANCE_ENV) PUBLIC_URL="$(PUBLIC_URL)" BIND_ADDRESS="$(BIND_ADDRESS)" HTTPS_PORT="$(HTTPS_PORT)" \
	  HTTP_PORT="$(HTTP_PORT)" WIDGET_ORIGINS="$(WIDGET_ORIGINS)" ADMIN_EMAIL="$(ADMIN_EMAIL)" \
	  TLS_EXTRA_NAMES="$(TLS_EXTRA_NAMES)" SIGS="$(SIGS)" METRICS_PORT="$(METRICS_PORT)" ROLE="$(ROLE)" PEER="$(or $(PEER),$(PRIMARY))" \
	  DR_ADDRESS="$(DR_ADDRESS)" DR_FILES_PORT="$(DR_FILES_PORT)" PEER_FILES_PORT="$(PEER_FILES_PORT)" \
	  bash ops/appliance/install.sh

up:
	@$(APPLIANCE_ENV) bash ops/appliance/up.sh

down:
	@$(APPLIANCE_ENV) bash ops/appliance/compose.sh down

# `make status` (the root Makefile and the bundle's route it here when the appliance is installed).
appliance-status:
	@$(APPLIANCE_ENV) bash ops/appliance/status.sh

logs:
	@$(APPLIANCE_ENV) bash ops/appliance/compose.sh logs --tail=200 --follow $(SERVICE)

update:
	@$(APPLIANCE_ENV) bash ops/appliance/update.sh

images:
	@$(APPLIANCE_ENV) bash ops/appliance/images.sh

bundle:
	@$(APPLIANCE_ENV) bash ops/appliance/bundle.sh

load:
	@$(APPLIANCE_ENV) bash ops/appliance/load.sh $(BUNDLE)

clamav-update:
	@$(APPLIANCE_ENV) bash ops/appliance/clamav-update.sh "$(SIGS)"

# Backups in the appliance (ops/appliance/backup.sh). A checkout's `make backup` etc. are the native
# commands, so these are named appliance-*; the bundle's Makefile maps backup, restore, ... to them.
# KEY (and KEY_PASSPHRASE_FILE, SIGNING_PUBLIC_KEY) are read for one run, never stored.
APPLIANCE_KEYS = KEY="$(KEY)" KEY_PASSPHRASE_FILE="$(KEY_PASSPHRASE_FILE)" SIGNING_PUBLIC_KEY="$(SIGNING_PUBLIC_KEY)"

appliance-backup:
	@$(APPLIANCE_ENV) bash ops/appliance/backup.sh backup $(ARGS)

appliance-restore:
	@$(APPLIANCE_ENV) BACKUP="$(BACKUP)" $(APPLIANCE_KEYS) bash ops/appliance/backup.sh restore

appliance-restore-confirm:
	@$(APPLIANCE_ENV) bash ops/appliance/backup.sh restore-confirm

appliance-restore-rollback:
	@$(APPLIANCE_ENV) bash ops/appliance/backup.sh restore-rollback

appliance-backup-drill:
	@$(APPLIANCE_ENV) $(APPLIANCE_KEYS) bash ops/appliance/backup.sh drill $(ARGS)

appliance-backup-status:
	@$(APPLIANCE_ENV) bash ops/appliance/backup.sh status $(ARGS)

# Disaster recovery (ops/appliance/dr.sh): the DR commands in a one-off ops container. The bundle's
# Makefile maps dr-status, failover, rejoin, failback and dr-resume to these. FORCE=1 overrides a refusal.
appliance-dr-status:
	@$(APPLIANCE_ENV) bash ops/appliance/dr.sh status $(ARGS)

appliance-failover:
	@$(APPLIANCE_ENV) FORCE="$(FORCE)" FROM="$(FROM)" $(APPLIANCE_KEYS) bash ops/appliance/dr.sh failover

appliance-rejoin:
	@$(APPLIANCE_ENV) bash ops/appliance/dr.sh rejoin

appliance-failback:
	@$(APPLIANCE_ENV) bash ops/appliance/dr.sh failback

appliance-dr-resume:
	@$(APPLIANCE_ENV) FORCE="$(FORCE)" bash ops/appliance/dr.sh resume

# CI and development only (they need the checkout's Node and npm packages).
appliance-test:
	@bash test/appliance/appliance-test.sh

# A primary and a standby appliance on this host: replication, a failover and a rejoin (issue 15).
dr-test:
	@bash test/appliance/dr-test.sh

hardening-check:
	@node_modules/.bin/node ops/appliance/hardeningCheck.ts docker-compose.yml
